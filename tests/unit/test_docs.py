"""The README and its guides stay true: every configuration key, CLI command and route is
documented, every link leads somewhere, and the Flask guide's example runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from consent_ui import create_app
from consent_ui.cli import consent as consent_commands
from consent_ui.config import KEYS
from consent_ui.policy import load_policy
from consent_ui.resources import STATIC

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
GUIDES = sorted((ROOT / "docs").glob("*.md"))
#: The README and the guides it links to.
DOCS = "\n".join([README, *(p.read_text() for p in GUIDES)])
REFERENCE = (ROOT / "docs" / "reference.md").read_text()


@pytest.mark.parametrize("key", sorted(KEYS))
def test_every_configuration_key_is_documented(key: str) -> None:
    assert f"| `{key}` |" in README


@pytest.mark.parametrize("command", sorted(consent_commands.commands))
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"consent-ui {command}" in DOCS


def test_every_route_is_documented(tmp_path: Path) -> None:
    from werkzeug.security import generate_password_hash

    app = create_app(
        {
            "CONSENT_SECRET_KEY": "k" * 32,
            "CONSENT_DATABASE": str(tmp_path / "c.db"),
            # With a password hash, the operator dashboard's routes are there too.
            "CONSENT_ADMIN_PASSWORD_HASH": generate_password_hash("x", "pbkdf2:sha256:1000"),
        }
    )
    documented = set(re.findall(r"`(?:GET|POST|DELETE) (/[^`? ]*)", REFERENCE))
    documented |= {p.strip("`") for p in re.findall(r", `(/[^`]+)`", REFERENCE)}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("demo.", "static")) or rule.rule.startswith("/static"):
            continue
        if rule.endpoint == "consent_admin.unknown":  # any other /admin/… path: a 404
            continue
        path = re.sub(r"<any\([^)]*\):name>", "consent", rule.rule)
        assert path in documented, f"{rule.rule} is not in docs/reference.md's HTTP table"


def test_the_readme_commands_are_the_ci_commands() -> None:
    assert "python3 dev.py serve" in README
    assert "python3 dev.py test" in README
    assert "exec python3 dev.py test" in (ROOT / ".ci" / "run").read_text()


def test_the_snippet_declares_its_own_storage_in_the_policy() -> None:
    """consent.js keeps one sessionStorage key; the built-in policy must declare it."""
    source = (STATIC / "js" / "consent.js").read_text()
    keys = set(re.findall(r"sessionStorage\[['\"]([^'\"]+)['\"]\]", source))
    assert keys == {"consent-ui:verified"}
    essential = load_policy().category("essential")
    assert keys <= {d.name for d in essential.storage}


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a page's headings (outside code blocks)."""
    text = re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
        anchors.add(slug.replace(" ", "-"))
    return anchors


def _links(page: Path) -> list[tuple[str, str]]:
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.M | re.S)
    return [
        (target, anchor)
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)", text)
        if not target.startswith(("http://", "https://", "mailto:"))
    ]


@pytest.mark.parametrize("page", [ROOT / "README.md", *GUIDES], ids=lambda p: p.name)
def test_every_link_leads_somewhere(page: Path) -> None:
    for target, anchor in _links(page):
        linked = (page.parent / target).resolve() if target else page
        assert linked.exists(), f"{page.name} links to {target}, which does not exist"
        if anchor and linked.suffix == ".md":
            assert anchor in _anchors(linked.read_text()), f"{page.name}: no #{anchor} in {target}"


def test_the_readme_links_every_guide() -> None:
    linked = {target for target, _ in _links(ROOT / "README.md")}
    for guide in GUIDES:
        assert f"docs/{guide.name}" in linked, f"the README does not link {guide.name}"


def test_the_flask_guide_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    guide = (ROOT / "docs" / "flask.md").read_text()
    example = re.search(r"```python\n(.*?)```", guide, flags=re.S).group(1)
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("CONSENT_SECRET_KEY", "k" * 32)
    monkeypatch.setenv("CONSENT_DATABASE", str(tmp_path / "consent.db"))
    namespace: dict = {"__name__": "myapp"}
    exec(compile(example, "docs/flask.md", "exec"), namespace)
    client = namespace["app"].test_client()

    assert client.get("/recommendations").status_code == 403
    first = client.get("/")
    assert "not tracked (no choice yet)" in first.text
    assert 'src="/consent.js' in first.text

    answer = client.post("/api/consent", json={"action": "custom", "categories": ["statistics"]})
    assert answer.status_code == 201
    assert f"tracked ({answer.json['id']})" in client.get("/").text
    assert client.get("/recommendations").status_code == 403
    client.post("/api/consent", json={"action": "accept_all"})
    recommended = client.get("/recommendations")
    assert (recommended.status_code, recommended.text) == (200, "Ads picked for you")

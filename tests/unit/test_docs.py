"""The README stays true: every configuration key, CLI command and route is in it."""

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
#: The README and the guides it links to.
DOCS = "\n".join([README, *(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))])


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
    documented = set(re.findall(r"`(?:GET|POST|DELETE) (/[^`? ]*)", README))
    documented |= {p.strip("`") for p in re.findall(r", `(/[^`]+)`", README)}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("demo.", "static")) or rule.rule.startswith("/static"):
            continue
        if rule.endpoint == "consent_admin.unknown":  # any other /admin/… path: a 404
            continue
        path = re.sub(r"<any\([^)]*\):name>", "consent", rule.rule)
        assert path in documented, f"{rule.rule} is not in the README's HTTP table"


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

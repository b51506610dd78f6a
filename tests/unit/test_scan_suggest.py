"""``--suggest``: policy TOML from the bundled Open Cookie Database."""

from __future__ import annotations

import tomllib
from pathlib import Path

from consent_ui.classify import classify
from consent_ui.observe import SetBy
from consent_ui.policy import BUILTIN_POLICY, load_policy
from consent_ui.scan.findings import Item
from consent_ui.scan.suggest import CATALOGUE, UNTRANSLATED, catalogue, lookup, suggest

DATA = CATALOGUE.parent


def item(kind: str, name: str) -> Item:
    return Item(
        classify(load_policy(), kind, name, "shop.test"),
        {"before"},
        [],
        SetBy("script", "https://shop.test/t.js"),
    )


def test_the_catalogue_ships_with_its_licence_and_where_it_came_from() -> None:
    assert len(catalogue()) == 2264
    assert "Apache License" in (DATA / "LICENSE").read_text()
    notice = (DATA / "NOTICE").read_text()
    assert "jkwakman/Open-Cookie-Database" in notice
    assert "0ee5a17" in notice


def test_names_are_found_exactly_or_by_their_longest_wildcard_prefix() -> None:
    assert lookup("_gid").platform == "Google Analytics"
    assert lookup("_gid").wildcard is False
    wild = lookup("_ga_1X2Y3Z")
    assert (wild.name, wild.wildcard, wild.declared_name) == ("_ga_", True, "_ga_*")
    assert lookup("surely-nobody-calls-a-cookie-this") is None


def test_suggestions_are_toml_that_declares_each_known_cookie() -> None:
    items = [
        item("cookie", "_gid"),
        item("cookie", "_gcl_au"),
        item("cookie", "ab_test_unknown_xyz"),
        item("cookie", "_ga"),  # declared already: nothing to suggest
    ]
    text = suggest(load_policy(), items)
    data = tomllib.loads(text)
    services = {
        (key, s["name"]): s
        for key, category in data["categories"].items()
        for s in category["services"]
    }
    gid = services["statistics", "Google Analytics"]["cookies"]
    assert [c["name"] for c in gid] == ["_gid"]
    assert gid[0]["duration"]["en"] == "24 hours"
    assert gid[0]["purpose"]["en"] == "ID used to identify users for 24 hours after last activity"
    assert gid[0]["purpose"]["fr"] == UNTRANSLATED + gid[0]["purpose"]["en"]
    assert gid[0]["purpose"]["fr"].startswith(
        "À traduire : l’Open Cookie Database n’existe qu’en anglais."  # noqa: RUF001
    )
    assert services["statistics", "Google Analytics"]["provider"] == "Google"
    assert services["statistics", "Google Analytics"]["privacy_url"].startswith("https://")
    assert any(k == "marketing" for k, _ in services)  # _gcl_au: Google Ads, marketing
    assert (
        '# - cookie "ab_test_unknown_xyz" on shop.test, set by the script https://shop.test/t.js'
        in text
    )
    assert '_ga"' not in text.split("[[", 1)[1]


def test_appended_to_the_policy_the_suggestions_load(tmp_path: Path) -> None:
    items = [
        item("cookie", "_gid"),
        item("cookie", "_gcl_au"),
        item("localStorage", "_hjSessionUser_123"),
    ]
    policy = tmp_path / "policy.toml"
    policy.write_text(BUILTIN_POLICY.read_text() + "\n" + suggest(load_policy(), items))
    loaded = load_policy(policy)
    for obs in items:
        c = classify(loaded, obs.kind, obs.name, "shop.test")
        assert c.declared, obs.name
        assert c.declaration.purpose("fr").startswith(UNTRANSLATED)

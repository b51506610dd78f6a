"""The policy file: the built-in policy, its JSON, cookie globs, and every mistake a
policy file can hold stopping start-up with the file, the key and the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from consent_ui import create_app
from consent_ui.errors import PolicyError
from consent_ui.policy import BUILTIN_POLICY, Declaration, Policy, load_policy, policy_from_api

#: A small valid policy; each broken case below changes one thing in it.
VALID = """\
revision = 1
google_consent_mode = true

[controller]
name = "Example"
email = "privacy@example.org"
address = "1 Main Street"

[categories.essential]
required = true
label = { en = "Essential", fr = "Essentiels" }
description = { en = "Needed.", fr = "Nécessaires." }

[[categories.essential.services]]
name = "Site"
provider = "Us"
privacy_url = "/privacy"
cookies = [
  { name = "sid", duration = { en = "1h", fr = "1h" }, purpose = { en = "Login", fr = "Login" } },
]

[categories.statistics]
consent_mode = ["analytics_storage"]
label = { en = "Statistics", fr = "Statistiques" }
description = { en = "Counting.", fr = "Comptage." }

[[categories.statistics.services]]
name = "Analytics"
provider = "Someone"
privacy_url = "https://example.org/privacy"
cookies = [
  { name = "_ga", duration = { en = "1y", fr = "1an" }, purpose = { en = "Count", fr = "Compte" } },
]
"""

STATS_URL = 'privacy_url = "https://example.org/privacy"'
STATS_COOKIE = (
    '{ name = "_ga", duration = { en = "1y", fr = "1an" },'
    ' purpose = { en = "Count", fr = "Compte" } }'
)


@pytest.fixture(scope="module")
def builtin() -> Policy:
    return load_policy()


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "policy.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def replaced(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


def test_the_valid_base_policy_loads(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, VALID))
    assert policy.keys == ("essential", "statistics")
    assert policy.controller is not None
    assert policy.controller.email == "privacy@example.org"


def test_builtin_policy_has_the_four_categories_in_order(builtin: Policy) -> None:
    assert builtin.source == str(BUILTIN_POLICY)
    assert builtin.keys == ("essential", "statistics", "personalization", "marketing")
    assert builtin.required_keys == ("essential",)
    assert builtin.optional_keys == ("statistics", "personalization", "marketing")
    assert builtin.google_consent_mode is True
    assert builtin.revision == 1


def test_builtin_policy_declares_the_trackers_under_their_categories(builtin: Policy) -> None:
    statistics = [c.name for c in builtin.category("statistics").cookies]
    marketing = [c.name for c in builtin.category("marketing").cookies]
    assert statistics == ["_ga", "_ga_*"]
    assert marketing == ["_fbp"]
    assert builtin.category("statistics").services[0].name("en") == "Google Analytics"


def test_builtin_policy_gpc_flags(builtin: Policy) -> None:
    assert builtin.gpc_keys == frozenset({"personalization", "marketing"})
    assert {c.key: c.gpc for c in builtin.categories} == {
        "essential": False,
        "statistics": False,
        "personalization": True,
        "marketing": True,
    }


def test_builtin_policy_consent_mode_mapping(builtin: Policy) -> None:
    assert builtin.category("statistics").consent_mode == ("analytics_storage",)
    assert builtin.category("personalization").consent_mode == ("personalization_storage",)
    assert builtin.category("marketing").consent_mode == (
        "ad_storage",
        "ad_user_data",
        "ad_personalization",
    )


@pytest.mark.parametrize(
    ("lang", "labels"),
    [
        ("en", ["Essential", "Statistics", "Personalisation", "Marketing"]),
        ("fr", ["Essentiels", "Statistiques", "Personnalisation", "Marketing"]),
    ],
)
def test_to_json_shape(builtin: Policy, lang: str, labels: list[str]) -> None:
    data = builtin.to_json(lang)
    assert set(data) == {"revision", "lang", "google_consent_mode", "categories"}
    assert data["revision"] == 1
    assert data["lang"] == lang
    assert data["google_consent_mode"] is True
    assert [c["label"] for c in data["categories"]] == labels
    for category in data["categories"]:
        assert set(category) == {"key", "required", "label", "description", "services"}
        assert category["description"].strip()
        for service in category["services"]:
            assert set(service) == {
                "name",
                "provider",
                "privacy_url",
                "cookies",
                "storage",
                "hosts",
            }
            for item in service["cookies"] + service["storage"]:
                assert set(item) == {"name", "domain", "duration", "purpose"}
    ga = data["categories"][1]["services"][0]["cookies"][0]
    assert ga["name"] == "_ga"
    assert ga["duration"] == {"en": "13 months", "fr": "13 mois"}[lang]
    assert [c["required"] for c in data["categories"]] == [True, False, False, False]


@pytest.mark.parametrize(
    ("name", "candidate", "matches"),
    [
        ("_ga_*", "_ga_ABC", True),
        ("_ga_*", "_ga_", True),
        ("_ga_*", "_gax", False),
        ("_ga_*", "_ga", False),
        ("_ga_*", "x_ga_ABC", False),
        ("_ga", "_ga", True),
        ("_ga", "_ga_ABC", False),
        ("_g?", "_ga", True),
        ("_g?", "_gab", False),
        ("_g?", "_g", False),
        ("consent-ui:verified", "consent-ui:verified", True),
        ("a.b", "a.b", True),
        ("a.b", "axb", False),
    ],
)
def test_declaration_glob(name: str, candidate: str, matches: bool) -> None:
    assert Declaration(name).matches(candidate) is matches


@pytest.mark.parametrize(
    ("name", "pattern"),
    [("_ga_*", "^_ga_.*$"), ("_g?", "^_g.$"), ("a.b", r"^a\.b$"), ("x-y", r"^x\-y$")],
)
def test_declaration_pattern(name: str, pattern: str) -> None:
    assert Declaration(name).pattern == pattern


def test_builtin_policy_declares_the_hosts_of_its_trackers(builtin: Policy) -> None:
    [ga] = builtin.category("statistics").services
    [pixel] = builtin.category("marketing").services
    assert ga.serves("www.google-analytics.com")
    assert ga.serves("region1.google-analytics.com")
    assert ga.serves("www.googletagmanager.com")
    assert not ga.serves("google-analytics.com.evil.example")
    assert pixel.serves("connect.facebook.net")
    assert pixel.serves("CONNECT.FACEBOOK.NET.")
    assert not pixel.serves("facebook.net")


def test_policy_from_the_api_is_the_same_policy(builtin: Policy) -> None:
    for lang in ("en", "fr"):
        published = policy_from_api(builtin.to_json(lang), "https://consent.example.org")
        assert published.revision == builtin.revision
        assert published.keys == builtin.keys
        assert published.required_keys == builtin.required_keys
        for ours, theirs in zip(builtin.categories, published.categories, strict=True):
            assert theirs.label("en") == theirs.label("fr") == ours.label(lang)
            assert [s.hosts for s in theirs.services] == [s.hosts for s in ours.services]
            assert [d.name for d in theirs.cookies] == [d.name for d in ours.cookies]
            assert [d.name for d in theirs.storage] == [d.name for d in ours.storage]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d.pop("revision"), "revision"),
        (lambda d: d.update(categories={}), "categories"),
        (lambda d: d["categories"][1].update(key="Bad Key"), "categories.Bad Key"),
        (lambda d: d["categories"][1]["services"][0].update(hosts="x"), "hosts"),
    ],
)
def test_a_broken_published_policy_is_refused(builtin: Policy, change, key: str) -> None:
    data = builtin.to_json("en")
    change(data)
    with pytest.raises(PolicyError) as caught:
        policy_from_api(data, "https://consent.example.org/api/policy")
    assert caught.value.source == "https://consent.example.org/api/policy"
    assert key in caught.value.key


def _bad_cases() -> list[Any]:
    cases = [
        ("unknown top-level key", "colour = 1\n" + VALID, "colour", "unknown key"),
        (
            "unknown category key",
            replaced("[categories.statistics]\n", "[categories.statistics]\nicon = 'x'\n"),
            "categories.statistics.icon",
            "unknown key",
        ),
        (
            "category without French label",
            replaced(
                'label = { en = "Statistics", fr = "Statistiques" }',
                'label = { en = "Statistics" }',
            ),
            "categories.statistics.label",
            "missing the French text (fr)",
        ),
        (
            "missing description",
            replaced('description = { en = "Counting.", fr = "Comptage." }\n', ""),
            "categories.statistics.description",
            "is missing",
        ),
        (
            "duplicate table",
            VALID + '\n[categories.statistics]\nlabel = { en = "A", fr = "B" }\n',
            "",
            "is not valid TOML",
        ),
        (
            "essential not required",
            replaced("required = true\n", "required = false\n"),
            "categories.essential.required",
            "the essential category must be required = true",
        ),
        (
            "gpc on a required category",
            replaced("required = true\n", "required = true\ngpc = true\n"),
            "categories.essential.gpc",
            "a required category cannot be switched off by GPC",
        ),
        (
            "unknown consent mode type",
            replaced('["analytics_storage"]', '["analytics"]'),
            "categories.statistics.consent_mode[0]",
            "“analytics” is not a Google Consent Mode type",
        ),
        (
            "consent mode not a list",
            replaced('["analytics_storage"]', '"analytics_storage"'),
            "categories.statistics.consent_mode",
            "must be a list",
        ),
        (
            "cookie declared twice across services",
            VALID
            + '\n[[categories.statistics.services]]\nname = "Other"\nprovider = "Them"\n'
            + f"cookies = [{STATS_COOKIE}]\n",
            "categories.statistics.services[1].cookies",
            "“_ga” is declared twice (first in categories.statistics.services[0])",
        ),
        (
            "cookie without purpose",
            replaced(', purpose = { en = "Count", fr = "Compte" }', ""),
            "categories.statistics.services[0].cookies[0].purpose",
            "is missing",
        ),
        (
            "bad category key",
            replaced("[categories.statistics]", '[categories."Stats!"]').replace(
                "categories.statistics.services", 'categories."Stats!".services'
            ),
            "categories.Stats!",
            "is not allowed here",
        ),
        ("revision 0", replaced("revision = 1", "revision = 0"), "revision", "1 or more"),
        ("revision string", replaced("revision = 1", 'revision = "1"'), "revision", "1 or more"),
        ("revision float", replaced("revision = 1", "revision = 1.5"), "revision", "1 or more"),
        ("revision bool", replaced("revision = 1", "revision = true"), "revision", "1 or more"),
        ("missing revision", replaced("revision = 1\n", ""), "revision", "is missing"),
        (
            "no optional category",
            VALID.split("[categories.statistics]")[0],
            "categories",
            "need at least one optional category",
        ),
        (
            "no required category",
            replaced("[categories.essential]\nrequired = true\n", "[categories.essential]\n")
            .replace("[categories.essential]", "[categories.basics]")
            .replace("categories.essential.services", "categories.basics.services"),
            "categories",
            "need one required category (essential)",
        ),
        (
            "bad privacy_url",
            replaced('"https://example.org/privacy"', '"javascript:alert(1)"'),
            "categories.statistics.services[0].privacy_url",
            "must be an http(s) URL or a site path",
        ),
        (
            "controller email invalid",
            replaced('"privacy@example.org"', '"privacy at example.org"'),
            "controller.email",
            "is not an e-mail address",
        ),
        (
            "google_consent_mode not bool",
            replaced("google_consent_mode = true", 'google_consent_mode = "yes"'),
            "google_consent_mode",
            "must be true or false",
        ),
        (
            "hosts not a list",
            replaced(STATS_URL, f'hosts = "a.example"\n{STATS_URL}'),
            "categories.statistics.services[0].hosts",
            "must be a list of host names",
        ),
        *(
            (
                f"host {host}",
                replaced(STATS_URL, f'hosts = ["ok.example", "{host}"]\n{STATS_URL}'),
                "categories.statistics.services[0].hosts[1]",
                "is not a host name such as www.example.org",
            )
            for host in ("https://a.example", "a.example:443", "a/x", "A.Example", "", "a..b")
        ),
        (
            "label in an unknown language",
            replaced(
                'label = { en = "Statistics", fr = "Statistiques" }',
                'label = { en = "Statistics", fr = "Statistiques", de = "Statistik" }',
            ),
            "categories.statistics.label.de",
            "unknown language",
        ),
    ]
    return [pytest.param(text, key, problem, id=name) for name, text, key, problem in cases]


@pytest.mark.parametrize(("text", "key", "problem"), _bad_cases())
def test_broken_policy_names_file_key_and_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    error = caught.value
    assert error.source == str(path)
    assert error.key == key
    assert problem in error.problem
    message = str(error)
    assert message.startswith(f"{path}: {key}: " if key else f"{path}: ")
    assert problem in message


def test_policy_that_is_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.encode("utf-8").replace(b"N\xc3\xa9", b"N\xe9"))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value) == f"{path}: is not UTF-8 text"


def test_policy_that_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value) == f"{path}: cannot be read (No such file or directory)"


def test_policy_path_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path}: cannot be read (")


def test_create_app_stops_on_a_broken_policy(tmp_path: Path) -> None:
    path = write(tmp_path, replaced("revision = 1", "revision = 0"))
    with pytest.raises(PolicyError) as caught:
        create_app(
            {
                "CONSENT_SECRET_KEY": "k" * 32,
                "CONSENT_DATABASE": str(tmp_path / "c.db"),
                "CONSENT_POLICY": str(path),
            }
        )
    assert str(caught.value) == f"{path}: revision: must be a whole number of 1 or more"
    assert not (tmp_path / "c.db").exists()


def test_create_app_uses_the_configured_policy(tmp_path: Path) -> None:
    from consent_ui.extension import ConsentUI

    app = create_app(
        {
            "CONSENT_SECRET_KEY": "k" * 32,
            "CONSENT_DATABASE": str(tmp_path / "c.db"),
            "CONSENT_POLICY": str(write(tmp_path, VALID)),
        }
    )
    try:
        assert ConsentUI.state(app).policy.keys == ("essential", "statistics")
    finally:
        ConsentUI.state(app).store.close()

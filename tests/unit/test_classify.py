"""The one classification of cookies, storage keys and requests against the policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from consent_ui.classify import classify
from consent_ui.policy import Policy, load_policy


@pytest.fixture(scope="module")
def builtin() -> Policy:
    return load_policy()


@pytest.mark.parametrize(
    ("kind", "name", "domain", "category", "service", "declared_as"),
    [
        ("cookie", "_ga", ".example.org", "statistics", "Google Analytics", "_ga"),
        ("cookie", "_ga_ABC123", "www.example.org", "statistics", "Google Analytics", "_ga_*"),
        ("cookie", "_fbp", ".example.org", "marketing", "Meta Pixel", "_fbp"),
        ("cookie", "consent", "www.example.org", "essential", "Classified-ads site", "consent"),
        ("cookie", "_gax", "www.example.org", None, None, None),
        ("localStorage", "recent_searches", None, "personalization", "Recommendations", None),
        ("sessionStorage", "consent-ui:verified", None, "essential", "Classified-ads site", None),
        ("localStorage", "_ga", None, None, None, None),
        ("cookie", "recent_searches", "www.example.org", None, None, None),
    ],
)
def test_cookies_and_storage_keys(
    builtin: Policy,
    kind: str,
    name: str,
    domain: str | None,
    category: str | None,
    service: str | None,
    declared_as: str | None,
) -> None:
    found = classify(builtin, kind, name, domain)
    assert (found.kind, found.name, found.domain) == (kind, name, domain)
    assert found.category_key == category
    assert found.service_name() == service
    assert found.declared is (category is not None)
    assert found.essential is (category == "essential")
    if kind == "cookie":
        assert (found.declaration.name if found.declaration else None) == declared_as
    else:
        assert (found.declaration is None) is (category is None)


@pytest.mark.parametrize(
    ("host", "category", "service"),
    [
        ("www.google-analytics.com", "statistics", "Google Analytics"),
        ("region1.google-analytics.com", "statistics", "Google Analytics"),
        ("connect.facebook.net", "marketing", "Meta Pixel"),
        ("cdn.example.net", None, None),
        ("google-analytics.com.evil.example", None, None),
    ],
)
def test_requests_by_host(builtin: Policy, host: str, category: str | None, service: str | None):
    found = classify(builtin, "request", f"https://{host}/collect?v=2", host)
    assert found.category_key == category
    assert found.service_name() == service
    assert found.declaration is None


def test_service_names_in_either_language(builtin: Policy) -> None:
    found = classify(builtin, "localStorage", "recently_viewed")
    assert (found.service_name("en"), found.service_name("fr")) == (
        "Recommendations",
        "Recommandations",
    )


def test_a_declared_domain_restricts_the_match(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        """\
revision = 1
[categories.essential]
required = true
label = { en = "Essential", fr = "Essentiels" }
description = { en = "Needed.", fr = "Nécessaires." }
[categories.marketing]
label = { en = "Marketing", fr = "Marketing" }
description = { en = "Ads.", fr = "Pubs." }
[[categories.marketing.services]]
name = "Ads"
provider = "Ad Co"
[[categories.marketing.services.cookies]]
name = "id"
domain = ".ads.example"
duration = { en = "1y", fr = "1 an" }
purpose = { en = "Ads", fr = "Pubs" }
"""
    )
    policy = load_policy(path)
    assert classify(policy, "cookie", "id", ".ads.example").category_key == "marketing"
    assert classify(policy, "cookie", "id", "www.ads.example").category_key == "marketing"
    assert classify(policy, "cookie", "id", "ads.example").category_key == "marketing"
    assert classify(policy, "cookie", "id", "www.example.org").category_key is None
    assert classify(policy, "cookie", "id", "badads.example").category_key is None
    assert classify(policy, "cookie", "id").category_key is None


def test_an_unknown_kind_is_a_programming_error(builtin: Policy) -> None:
    with pytest.raises(ValueError, match="unknown kind 'indexedDB'"):
        classify(builtin, "indexedDB", "x")

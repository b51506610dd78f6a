"""A response that shared caches may keep never depends on a client-chosen header it
does not vary on: ``Host`` always, ``X-Forwarded-*`` behind a trusted proxy. Checked on
every GET route of the URL map, so a route added later is checked by itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from consent_ui import ConsentUI, create_app
from tests.conftest import SECRET

#: A value for each URL argument of the routes (a new one fails the test until added).
SAMPLES = {"slug": ["studio-bastos"], "filename": ["css/site.css", "js/consent.js"]}
#: Headers a client chooses that may change the service's own URLs, and a value each.
CHOSEN = {
    "Host": "poison.example",
    "X-Forwarded-Host": "poison.example",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/poison",
}


def get_paths(app: Flask) -> list[str]:
    """A concrete path for every GET route, and for each value of an ``any`` argument."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        options: list[dict[str, Any]] = [{}]
        for name in rule.arguments:
            converter = rule._converters[name]
            values = sorted(getattr(converter, "items", ())) or SAMPLES.get(name)
            assert values, f"add a sample value of <{name}> for {rule.rule} to SAMPLES"
            options = [{**o, name: v} for o in options for v in values]
        with app.test_request_context():
            paths += [app.url_for(rule.endpoint, **o) for o in options]
    return sorted(set(paths))


def shared_cacheable(response: TestResponse) -> bool:
    cache = response.cache_control
    if response.status_code != 200 or cache.private or cache.no_store or cache.no_cache:
        return False
    return bool(cache.public or cache.max_age or cache.s_maxage)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(
        {
            "CONSENT_SECRET_KEY": SECRET,
            "CONSENT_DATABASE": str(tmp_path_factory.mktemp("cache") / "c.db"),
            "CONSENT_TRUSTED_PROXIES": 1,
        }
    )
    yield app
    ConsentUI.state(app).store.close()


def test_every_get_route_is_checked(proxied: Flask) -> None:
    paths = get_paths(proxied)
    assert {"/consent/banner", "/consent.js", "/api/policy", "/consent.css"} <= set(paths)


@pytest.mark.parametrize("header", sorted(CHOSEN))
def test_a_cacheable_response_varies_on_what_it_depends_on(proxied: Flask, header: str) -> None:
    client = proxied.test_client(use_cookies=False)  # a cookie would change the language
    cacheable = 0
    for path in get_paths(proxied):
        for query in ("", "?part=banner", "?lang=fr"):
            plain = client.get(path + query)
            if not shared_cacheable(plain):
                continue
            cacheable += 1
            chosen = client.get(path + query, headers={header: CHOSEN[header]})
            if chosen.get_data() != plain.get_data():
                assert header in chosen.vary, f"{path}{query} depends on {header}"
                assert header in plain.vary, f"{path}{query} depends on {header}"
    assert cacheable >= 10


def test_the_banner_fragment_keeps_one_copy_per_forwarded_host(proxied: Flask) -> None:
    """The poisoning the issue found: the fragment's links and form action come from
    X-Forwarded-Host, and it is ``public``."""
    client = proxied.test_client(use_cookies=False)
    evil = client.get("/consent/banner", headers={"X-Forwarded-Host": "evil.example"})
    assert evil.cache_control.public
    assert 'action="http://evil.example/consent"' in evil.get_data(as_text=True)
    assert {"Host", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix"} <= set(evil.vary)
    good = client.get("/consent/banner")
    assert "evil.example" not in good.get_data(as_text=True), "the process cache too"

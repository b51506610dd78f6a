"""Where a request says it was sent (``Host``, and ``X-Forwarded-*`` behind a trusted
proxy): checked once, before anything builds a URL from it. A bad value is a localised
400 naming the header, on every route, never a 500; a good prefix is in every URL the
service generates."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from consent_ui import create_app
from consent_ui.extension import ConsentUI
from tests.conftest import SECRET, assert_error

#: (id, headers, the header the error names). Sent to a server with no trusted proxy.
BAD_HOSTS = [
    ("label-over-63", {"Host": "a" * 64 + ".example.org"}, "Host"),
    ("name-over-253", {"Host": ".".join(["a" * 60] * 5)}, "Host"),
    ("empty-label", {"Host": "consent..example.org"}, "Host"),
    ("space", {"Host": "consent example.org"}, "Host"),
    ("userinfo", {"Host": "user@consent.example.org"}, "Host"),
    ("path", {"Host": "consent.example.org/x"}, "Host"),
    ("port-not-a-number", {"Host": "consent.example.org:http"}, "Host"),
    ("port-too-big", {"Host": "consent.example.org:65536"}, "Host"),
    ("unclosed-ipv6", {"Host": "[::1"}, "Host"),
    ("not-ipv6", {"Host": "[zz::1]:80"}, "Host"),
    ("latin-1", {"Host": "exämple.org"}, "Host"),
]
#: The same behind one trusted proxy.
BAD_FORWARDED = [
    ("x-forwarded-host-7000", {"X-Forwarded-Host": "a" * 7000}, "X-Forwarded-Host"),
    ("x-forwarded-host-label", {"X-Forwarded-Host": "a" * 64 + ".org"}, "X-Forwarded-Host"),
    ("x-forwarded-host-path", {"X-Forwarded-Host": "evil.example/x?"}, "X-Forwarded-Host"),
    (
        "x-forwarded-proto-url",
        {"X-Forwarded-Proto": "http://127.0.0.1:5099"},
        "X-Forwarded-Proto",
    ),
    ("x-forwarded-proto-ftp", {"X-Forwarded-Proto": "ftp"}, "X-Forwarded-Proto"),
    ("x-forwarded-port-word", {"X-Forwarded-Port": "https"}, "X-Forwarded-Port"),
    ("x-forwarded-port-too-big", {"X-Forwarded-Port": "70000"}, "X-Forwarded-Port"),
    ("x-forwarded-prefix-url", {"X-Forwarded-Prefix": "https://evil/"}, "X-Forwarded-Prefix"),
    ("x-forwarded-prefix-dots", {"X-Forwarded-Prefix": "/a/../b"}, "X-Forwarded-Prefix"),
    ("x-forwarded-prefix-markup", {"X-Forwarded-Prefix": "/a><script>"}, "X-Forwarded-Prefix"),
]
#: One route of each kind: demo page, consent page, fragment, asset, JSON read and
#: write, a path nothing serves.
ROUTES = [
    ("GET", "/"),
    ("GET", "/preferences"),
    ("GET", "/consent/banner"),
    ("GET", "/consent.js"),
    ("GET", "/api/policy"),
    ("POST", "/api/consent"),
    ("POST", "/consent"),
    ("GET", "/nothing-here"),
]


def _app(tmp_path_factory: pytest.TempPathFactory, **config: Any) -> Iterator[Flask]:
    app = create_app(
        {
            "CONSENT_SECRET_KEY": SECRET,
            "CONSENT_DATABASE": str(tmp_path_factory.mktemp("host") / "consent.db"),
            **config,
        }
    )
    yield app
    ConsentUI.state(app).store.close()


# Module-wide apps: the tables below are long, and every request leaves the log unwritten.
@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from _app(tmp_path_factory)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from _app(tmp_path_factory, CONSENT_TRUSTED_PROXIES=1)


def send(client: FlaskClient, method: str, path: str, headers: dict[str, str]) -> TestResponse:
    body = {"json": {"action": "accept_all"}} if path == "/api/consent" else {}
    if path == "/consent":
        body = {"data": {"action": "accept_all"}}
    return client.open(path, method=method, headers=headers, **body)


def assert_bad_header(response: TestResponse, path: str, header: str) -> None:
    if path.startswith("/api/"):
        error = assert_error(response, 400, "bad_header")
        assert header in error["message"]
    else:
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert 'data-error-code="bad_header"' in html
        assert f"“{header}”" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert not any(h.startswith("consent=") for h in response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(("headers", "header"), [pytest.param(h, n, id=i) for i, h, n in BAD_HOSTS])
def test_a_bad_host_is_a_400_naming_it(
    direct: Flask, method: str, path: str, headers: dict, header: str
) -> None:
    assert_bad_header(send(direct.test_client(), method, path, headers), path, header)
    assert ConsentUI.state(direct).store.count() == 0


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    ("headers", "header"), [pytest.param(h, n, id=i) for i, h, n in BAD_FORWARDED]
)
def test_a_bad_forwarded_header_is_a_400_naming_it(
    proxied: Flask, method: str, path: str, headers: dict, header: str
) -> None:
    response = send(proxied.test_client(), method, path, headers)
    assert_bad_header(response, path, header)
    assert ConsentUI.state(proxied).store.count() == 0


def test_the_error_is_localised(direct: Flask) -> None:
    response = direct.test_client().get("/api/policy?lang=fr", headers={"Host": "a" * 64 + ".org"})
    error = assert_error(response, 400, "bad_header")
    assert error["message"].startswith("L\u2019en-tête « Host » de cette requête")


@pytest.mark.parametrize("headers", [pytest.param(h, id=i) for i, h, _ in BAD_FORWARDED])
def test_forwarded_headers_are_ignored_without_a_trusted_proxy(
    direct: Flask, headers: dict
) -> None:
    assert direct.test_client().get("/api/policy", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        "consent.example.org",
        "consent.example.org.",
        "CONSENT.Example.ORG:8443",
        "consent_ui.internal:8000",
        "127.0.0.1:5000",
        "[::1]:8000",
        "[2001:db8::1]",
        "localhost",
        "a" * 63 + ".example.org",
    ],
)
def test_good_hosts_are_served(direct: Flask, host: str) -> None:
    client = direct.test_client()
    assert client.get("/api/policy", headers={"Host": host}).status_code == 200
    assert client.get("/", headers={"Host": host}).status_code == 200


def test_a_good_forwarded_host_and_scheme_are_used(proxied: Flask) -> None:
    response = proxied.test_client().get(
        "/consent/banner",
        headers={"X-Forwarded-Host": "consent.example.org", "X-Forwarded-Proto": "HTTPS"},
    )
    assert response.status_code == 200
    assert 'action="https://consent.example.org/consent"' in response.get_data(as_text=True)


# ---- the path prefix of a reverse proxy (X-Forwarded-Prefix) ----

PREFIX = "/consent-ui"
SITE = "www.example.org"
BEHIND = {"X-Forwarded-Prefix": PREFIX, "X-Forwarded-Host": SITE, "X-Forwarded-Proto": "https"}


class _URLs(HTMLParser):
    ATTRIBUTES = {"href", "src", "action", "formaction", "data-src"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [v for k, v in attrs if k in self.ATTRIBUTES and v]

    handle_startendtag = handle_starttag


def own_urls(html: str) -> list[str]:
    """Every URL of the page that points at this service (its host, or no host)."""
    parser = _URLs()
    parser.feed(html)
    own = []
    for url in parser.found:
        parts = urlsplit(url)
        if parts.scheme in ("data", "mailto") or url.startswith("#"):
            continue
        if parts.netloc in ("", SITE):
            own.append(url)
    return own


def pages(app: Flask) -> list[str]:
    slug = app.view_functions["demo.ad"] and "studio-bastos"
    return [
        "/",
        f"/ads/{slug}",
        "/?q=studio&lang=fr",
        f"/preferences?next={PREFIX}/ads/x",
        "/cookies",
        "/privacy",
        "/consent/banner",
        "/consent/banner?part=preferences",
        "/nothing-here",
    ]


def test_every_url_of_every_page_carries_the_prefix(proxied: Flask) -> None:
    client = proxied.test_client()
    checked = 0
    for path in pages(proxied):
        response = client.get(path, headers=BEHIND)
        assert response.status_code in (200, 404), path
        urls = own_urls(response.get_data(as_text=True))
        assert urls, path
        for url in urls:
            parts = urlsplit(url)
            assert parts.path.startswith(f"{PREFIX}/"), f"{path}: {url}"
            if parts.netloc:
                assert parts.scheme == "https", f"{path}: {url}"
            checked += 1
    assert checked > 50


@pytest.fixture
def fresh(config: dict[str, Any]) -> Iterator[Flask]:
    """An app of its own, for tests that write to the log."""
    app = create_app({**config, "CONSENT_TRUSTED_PROXIES": 1})
    yield app
    ConsentUI.state(app).store.close()


def test_the_form_goes_back_under_the_prefix(fresh: Flask) -> None:
    client = fresh.test_client()
    page = client.get("/ads/studio-bastos", headers=BEHIND).get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    next_url = page.split('name="next" value="', 1)[1].split('"', 1)[0]
    assert next_url == f"{PREFIX}/ads/studio-bastos"
    response = client.post(
        "/consent",
        headers=BEHIND,
        data={"csrf_token": token, "action": "reject_all", "next": next_url},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"{PREFIX}/ads/studio-bastos"
    record = ConsentUI.state(fresh).store.db.execute("SELECT page FROM consent_log").fetchall()
    assert record == [(f"{PREFIX}/ads/studio-bastos",)]


def test_a_bad_next_goes_back_to_the_home_under_the_prefix(fresh: Flask) -> None:
    client = fresh.test_client()
    page = client.get("/preferences", headers=BEHIND).get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/consent",
        headers=BEHIND,
        data={"csrf_token": token, "action": "reject_all", "next": "//evil.example/"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"{PREFIX}/"


# ---- the query string ----


@pytest.mark.parametrize("path", ["/", "/api/policy", "/preferences", "/consent/banner"])
@pytest.mark.parametrize("query", ["\x80", "lang=fr&q=\xe9t\xe9", "next=/a\xff", "%80=%ff"])
def test_a_query_of_raw_bytes_is_read_as_a_browser_would_send_it(
    direct: Flask, path: str, query: str
) -> None:
    """Raw bytes past ASCII (werkzeug decodes the query as UTF-8 and raised on them)."""
    response = direct.test_client().get(path, environ_overrides={"QUERY_STRING": query})
    assert response.status_code == 200


def test_a_raw_utf8_query_keeps_its_meaning(direct: Flask) -> None:
    query = "q=\u00e9t\u00e9".encode().decode("latin-1")  # what a server puts in the environ
    page = direct.test_client().get("/", environ_overrides={"QUERY_STRING": query})
    assert 'value="été"' in page.get_data(as_text=True)


# ---- in an app that mounts the extension ----


def test_a_host_app_can_have_the_same_check(tmp_path: Any) -> None:
    from consent_ui import ConsentUI as Extension
    from consent_ui import edge

    host = Flask("host", root_path=str(tmp_path / "host"))
    host.config.update(
        SECRET_KEY="the session key of the host",
        CONSENT_SECRET_KEY=SECRET,
        CONSENT_DATABASE=str(tmp_path / "host.db"),
    )
    Extension(host)
    edge.protect(host, trusted_proxies=1)

    @host.get("/home")
    def home() -> str:
        return "home"

    try:
        client = host.test_client()
        assert client.get("/home").get_data(as_text=True) == "home"
        refused = client.get("/home", headers={"X-Forwarded-Host": "a" * 64 + ".org"})
        assert refused.status_code == 400
        assert 'data-error-code="bad_header"' in refused.get_data(as_text=True)
        banner = client.get("/consent/banner", headers=BEHIND).get_data(as_text=True)
        assert f'action="https://{SITE}{PREFIX}/consent"' in banner
    finally:
        ConsentUI.state(host).store.close()

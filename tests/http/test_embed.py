"""What pages load from the consent server: ``consent.js`` in its two kinds (carrying
the banner for pages this server does not render, or not, for pages that render it)
and the stylesheets; what they carry, how they are cached, and the byte budget."""

from __future__ import annotations

import gzip
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup

from consent_ui.policy import LANGUAGES
from consent_ui.views import banner, embed

GZIP = {"Accept-Encoding": "gzip"}
GPC_NOTICE = {"en": "Global Privacy Control signal", "fr": "signal Global Privacy Control"}
HEADINGS = {"en": "Cookies and your privacy", "fr": "Les cookies et votre vie privée"}


def script(client: FlaskClient, query: str = "", **headers: str) -> str:
    response = client.get(f"/consent.js{query}", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    return response.get_data(as_text=True)


def words(html: str) -> str:
    """The visible words, as ``banner.shown_text`` reads them."""
    return " ".join(Markup(html.replace(">", "> ")).striptags().split())


def carried(app: Flask, *, gpc: bool) -> dict[str, str]:
    with app.test_request_context():
        return {lang: banner.for_snippet(lang, gpc=gpc) for lang in LANGUAGES}


def test_it_carries_the_banner_in_both_languages_and_its_stylesheet(app, client) -> None:
    body = script(client)

    for lang, html in carried(app, gpc=False).items():
        assert json.dumps(html, ensure_ascii=False) in body
        assert HEADINGS[lang] in html
        assert GPC_NOTICE[lang] not in html
    with app.test_request_context():
        css = embed.stylesheet().body.decode()
    assert json.dumps(css) in body
    assert "gpc:true" not in body


def test_the_banner_it_carries_is_the_template_with_links_from_the_service_root(app) -> None:
    with app.test_request_context():
        rendered = banner.render("fr", ("banner",), gpc=False, external=True)
    html = carried(app, gpc=False)["fr"]

    assert words(html) == words(str(rendered))
    assert "href=/cookies" in html
    assert "<form>" in html  # no target: the snippet posts JSON itself
    assert "surface" not in html


def test_a_long_cached_script_holds_neither_the_host_nor_the_prefix_that_asked(app, client) -> None:
    """Built once per process: the first request's Host or mount point must not end up
    in what every later visitor (and every shared cache) gets."""
    first = client.get(
        "/consent.js",
        headers={"Host": "evil.example:8443", "X-Forwarded-Host": "evil.example"},
        environ_base={"SCRIPT_NAME": "/consent-ui"},
    ).get_data(as_text=True)

    assert "evil.example" not in first
    assert "/consent-ui" not in first
    assert first == script(client)


def test_under_global_privacy_control_it_carries_the_banner_that_says_so(app, client) -> None:
    plain = client.get("/consent.js")
    signal = client.get("/consent.js", headers={"Sec-GPC": "1"})

    for response in (plain, signal):
        assert "Sec-GPC" in response.vary
        assert "Accept-Encoding" in response.vary
    assert plain.get_etag() != signal.get_etag()
    body = signal.get_data(as_text=True)
    assert "gpc:true" in body
    for lang, html in carried(app, gpc=True).items():
        assert GPC_NOTICE[lang] in html
        assert json.dumps(html, ensure_ascii=False) in body
    # Only "1" is the signal.
    assert "gpc:true" not in script(client, **{"Sec-GPC": "0"})


def test_pages_that_render_the_banner_get_the_script_that_does_not_carry_it(client) -> None:
    response = client.get("/consent.js?ui=page", headers={"Sec-GPC": "1"})
    body = response.get_data(as_text=True)

    assert "Sec-GPC" not in response.vary
    for lang in LANGUAGES:
        assert HEADINGS[lang] not in body
    assert "css:" not in body
    assert "gpc:true" not in body
    # The service's own pages ask for that one, versioned.
    page = client.get("/").get_data(as_text=True)
    assert f'src="/consent.js?v={response.get_etag()[0]}&amp;ui=page"' in page


@pytest.mark.parametrize(
    "query", ["", "?ui=page", "?v=1", "?ui=page&v=1"], ids=["plain", "page", "v", "page-v"]
)
def test_cached_and_revalidated(client, query: str) -> None:
    response = client.get(f"/consent.js{query}", headers=GZIP)
    assert response.content_encoding == "gzip"
    assert gzip.decompress(response.data).decode().startswith("((")
    max_age = 365 * 24 * 3600 if "v=" in query else 24 * 3600
    assert response.cache_control.max_age == max_age
    assert response.cache_control.public
    again = client.get(
        f"/consent.js{query}", headers={**GZIP, "If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.data == b""


@pytest.mark.parametrize("gpc", [False, True], ids=["no-signal", "sec-gpc"])
def test_a_first_visit_fits_the_budget(client, gpc: bool) -> None:
    """One request carries the whole first visit of a page this server does not
    render: code, policy data, the banner in both languages and its stylesheet."""
    headers = {**GZIP, **({"Sec-GPC": "1"} if gpc else {})}
    response = client.get("/consent.js", headers=headers)
    assert response.content_encoding == "gzip"
    assert len(response.data) <= embed.BUDGET


def test_the_stylesheets_are_served(client) -> None:
    for name in embed.STYLESHEETS:
        response = client.get(f"/{name}.css")
        assert response.status_code == 200
        assert response.mimetype == "text/css"
        assert ".cu" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ({"revision": 1, "maxAge": 2}, "{revision:1,maxAge:2}"),
        ({"a-b": True, "$x": None}, '{"a-b":true,$x:null}'),
        ({"texts": {"fr": "d\u2019avis « x »"}}, '{texts:{fr:"d\u2019avis « x »"}}'),
        ({"list": [{"k": 'a"b'}, []]}, '{list:[{k:"a\\"b"},[]]}'),
        ({"9lives": 1}, '{"9lives":1}'),
    ],
)
def test_js_literal(value, literal: str) -> None:
    assert embed.js_literal(value) == literal

"""The headers that protect a response: the session cookie that holds the forms' CSRF
token, HSTS over HTTPS, and the CSP and nosniff of the consent pages, in the standalone
service and in an app that mounts the extension (which keeps its own pages to itself)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from consent_ui import ConsentUI, create_app
from tests.conftest import SECRET

HSTS = "max-age=31536000"
CONSENT_PAGES = ["/preferences", "/cookies", "/privacy"]


def session_cookie(response: TestResponse) -> dict[str, str | None]:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    attributes: dict[str, str | None] = {}
    for part in header.split("; ")[1:]:
        name, _, value = part.partition("=")
        attributes[name.lower()] = value or None
    return attributes


@pytest.fixture
def proxied(config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app({**config, "CONSENT_TRUSTED_PROXIES": 1})
    yield app
    ConsentUI.state(app).store.close()


# ---- the standalone service ----


def test_the_session_cookie_is_samesite_lax_and_httponly(client: FlaskClient) -> None:
    cookie = session_cookie(client.get("/preferences"))
    assert cookie["samesite"] == "Lax"
    assert "httponly" in cookie
    assert "secure" not in cookie, "plain HTTP: a Secure cookie would never come back"


def test_the_session_cookie_is_secure_behind_an_https_proxy(proxied: Flask) -> None:
    response = proxied.test_client().get("/preferences", headers={"X-Forwarded-Proto": "https"})
    cookie = session_cookie(response)
    assert "secure" in cookie
    assert cookie["samesite"] == "Lax"


def test_the_session_cookie_is_secure_over_https(client: FlaskClient) -> None:
    cookie = session_cookie(client.get("/preferences", base_url="https://consent.example.org"))
    assert "secure" in cookie


@pytest.mark.parametrize("path", ["/", "/preferences", "/api/policy", "/consent.js", "/nope"])
def test_hsts_over_https(proxied: Flask, path: str) -> None:
    client = proxied.test_client()
    secure = client.get(path, headers={"X-Forwarded-Proto": "https"})
    assert secure.headers["Strict-Transport-Security"] == HSTS
    plain = client.get(path)
    assert "Strict-Transport-Security" not in plain.headers, "HSTS means nothing over HTTP"


# ---- an app that mounts the extension ----


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Flask]:
    app = Flask("host", root_path=str(tmp_path / "host"))
    app.config.update(
        TESTING=True,
        SECRET_KEY="the session key of the host",
        CONSENT_SECRET_KEY=SECRET,
        CONSENT_DATABASE=str(tmp_path / "host.db"),
    )
    ConsentUI(app)

    @app.get("/home")
    def home() -> str:
        return "<!doctype html><title>Host</title><p style='color: red'>the host's own page"

    yield app
    ConsentUI.state(app).store.close()


def stylesheets(response: TestResponse) -> list[str]:
    html = response.get_data(as_text=True)
    return re.findall(r'<link rel="stylesheet" href="([^"]+)">', html)


@pytest.mark.parametrize("path", CONSENT_PAGES)
def test_consent_pages_of_a_host_link_only_stylesheets_that_exist(host: Flask, path: str) -> None:
    client = host.test_client()
    response = client.get(path)
    assert response.status_code == 200
    links = stylesheets(response)
    assert len(links) >= 2, links
    for href in links:
        css = client.get(href)
        assert css.status_code == 200, href
        assert css.mimetype == "text/css"


@pytest.mark.parametrize("path", [*CONSENT_PAGES, "/consent/banner", "/api/policy", "/nothing"])
def test_consent_pages_of_a_host_carry_the_security_headers(host: Flask, path: str) -> None:
    response = host.test_client().get(path)
    if path == "/nothing":
        assert "X-Content-Type-Options" not in response.headers, "not a route of ours"
        return
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    if response.mimetype == "text/html":
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "'unsafe-inline'" not in csp


def test_the_host_keeps_its_own_pages_and_headers(host: Flask) -> None:
    response = host.test_client().get("/home", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    for header in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Strict-Transport-Security",
    ):
        assert header not in response.headers


def test_a_host_session_cookie_follows_the_host_settings(host: Flask) -> None:
    host.config.update(SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_SECURE=True)
    cookie = session_cookie(host.test_client().get("/preferences"))
    assert cookie["samesite"] == "Strict"
    assert "secure" in cookie

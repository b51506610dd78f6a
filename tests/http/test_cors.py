"""Cross-origin access: the origins of CONSENT_ALLOWED_ORIGINS get CORS headers and may
write; any other origin gets no CORS headers, and its writes are refused unwritten."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from consent_ui.store.sqlite import SQLiteStore
from tests.conftest import ALLOWED_ORIGIN, ConsentActions, assert_error

CORS_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Max-Age",
)
REFUSED = [
    "https://evil.example.com",
    "http://shop.example.org",
    "https://shop.example.org:8443",
    "https://shop.example.org.evil.com",
    "https://sub.shop.example.org",
    "null",
    "",
]


def assert_no_cors(response: TestResponse) -> None:
    present = [h for h in CORS_HEADERS if h in response.headers]
    assert present == [], present


def assert_cors(response: TestResponse, origin: str = ALLOWED_ORIGIN) -> None:
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.vary


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/policy", 200),
        ("get", "/api/consent", 404),
        ("get", "/api/consent/history", 404),
        ("get", "/.well-known/gpc.json", 200),
    ],
)
def test_allowed_origin_reads_with_credentials(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = getattr(client, method)(path, headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == status
    assert_cors(response)
    assert "Access-Control-Allow-Methods" not in response.headers, "only on preflight"


def test_allowed_origin_writes(client: FlaskClient, store: SQLiteStore) -> None:
    headers = {"Origin": ALLOWED_ORIGIN}
    response = client.post("/api/consent", json={"action": "accept_all"}, headers=headers)
    assert response.status_code == 201
    assert_cors(response)
    withdrawn = client.delete("/api/consent", headers=headers)
    assert withdrawn.status_code == 200
    assert_cors(withdrawn)
    assert store.count() == 2


def test_origins_compare_without_case(client: FlaskClient) -> None:
    origin = "https://Shop.Example.ORG"
    response = client.post(
        "/api/consent", json={"action": "reject_all"}, headers={"Origin": origin}
    )
    assert response.status_code == 201
    assert_cors(response, origin)


def test_errors_to_an_allowed_origin_are_readable(client: FlaskClient) -> None:
    response = client.post(
        "/api/consent", json={"action": "nope"}, headers={"Origin": ALLOWED_ORIGIN}
    )
    assert_error(response, 400, "invalid_field")
    assert_cors(response)


@pytest.mark.parametrize("method", ["POST", "DELETE", "GET"])
def test_preflight_from_an_allowed_origin(client: FlaskClient, method: str) -> None:
    response = client.options(
        "/api/consent",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type, x-consent-token",
        },
    )
    assert response.status_code == 200
    assert_cors(response)
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, DELETE"
    allowed = {
        h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert allowed == {"content-type", "x-consent-token"}
    assert response.headers["Access-Control-Max-Age"] == "600"


@pytest.mark.parametrize("origin", REFUSED)
def test_preflight_from_another_origin(client: FlaskClient, origin: str) -> None:
    response = client.options(
        "/api/consent",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert_no_cors(response)


@pytest.mark.parametrize("origin", REFUSED)
def test_other_origins_read_without_cors_headers(client: FlaskClient, origin: str) -> None:
    response = client.get("/api/policy", headers={"Origin": origin})
    assert response.status_code == 200
    assert_no_cors(response)
    assert "Origin" in response.vary


@pytest.mark.parametrize("origin", REFUSED)
def test_other_origins_cannot_record(client: FlaskClient, store: SQLiteStore, origin: str) -> None:
    response = client.post(
        "/api/consent", json={"action": "accept_all"}, headers={"Origin": origin}
    )
    error = assert_error(response, 403, "origin_not_allowed")
    assert origin in error["message"]
    assert_no_cors(response)
    assert "Set-Cookie" not in response.headers
    assert store.count() == 0


@pytest.mark.parametrize("origin", REFUSED)
def test_other_origins_cannot_withdraw(
    consent: ConsentActions, store: SQLiteStore, origin: str
) -> None:
    consent.accept_all()
    response = consent.client.delete("/api/consent", headers={"Origin": origin})
    assert_error(response, 403, "origin_not_allowed")
    assert_no_cors(response)
    assert store.count() == 1
    assert consent.current().status_code == 200, "the consent is untouched"


def test_the_origin_is_checked_before_the_body(client: FlaskClient, store: SQLiteStore) -> None:
    response = client.post(
        "/api/consent", data="action=accept_all", headers={"Origin": "https://evil.example.com"}
    )
    assert_error(response, 403, "origin_not_allowed")
    assert store.count() == 0


@pytest.mark.parametrize(
    ("base_url", "origin"),
    [
        ("http://localhost", "http://localhost"),
        ("https://consent.example.org", "https://consent.example.org"),
        ("http://localhost:5000", "http://localhost:5000"),
        # An internationalised name: browsers write the Origin punycoded, as the Host.
        ("https://xn--caf-dma.cm", "https://xn--caf-dma.cm"),
        ("https://Consent.Example.ORG", "https://consent.example.org"),
    ],
)
def test_same_origin_writes_are_accepted(
    client: FlaskClient, store: SQLiteStore, base_url: str, origin: str
) -> None:
    response = client.post(
        "/api/consent", json={"action": "accept_all"}, headers={"Origin": origin}, base_url=base_url
    )
    assert response.status_code == 201
    assert_no_cors(response)
    assert store.count() == 1


def test_same_host_other_scheme_is_another_origin(client: FlaskClient, store: SQLiteStore) -> None:
    response = client.post(
        "/api/consent",
        json={"action": "accept_all"},
        headers={"Origin": "http://consent.example.org"},
        base_url="https://consent.example.org",
    )
    assert_error(response, 403, "origin_not_allowed")
    assert store.count() == 0


def test_writes_without_an_origin_header_are_accepted(client: FlaskClient) -> None:
    response = client.post("/api/consent", json={"action": "accept_all"})
    assert response.status_code == 201
    assert_no_cors(response)


@pytest.mark.parametrize("query", ["", "?part=banner", "?part=preferences&lang=fr"])
def test_banner_fragment_cors_for_allowed_origins_only(client: FlaskClient, query: str) -> None:
    allowed = client.get(f"/consent/banner{query}", headers={"Origin": ALLOWED_ORIGIN})
    assert allowed.status_code == 200
    assert_cors(allowed)
    other = client.get(f"/consent/banner{query}", headers={"Origin": "https://evil.example.com"})
    assert other.status_code == 200
    assert_no_cors(other)
    assert "Origin" in other.vary


def test_banner_fragment_with_consent_gets_cors(consent: ConsentActions) -> None:
    consent.accept_all()
    response = consent.client.get(
        "/consent/banner?part=preferences", headers={"Origin": ALLOWED_ORIGIN}
    )
    assert response.status_code == 200
    assert_cors(response)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_no_allowed_origins_means_none(config: dict[str, Any], store: SQLiteStore) -> None:
    from consent_ui import create_app
    from consent_ui.extension import ConsentUI

    app: Flask = create_app({**config, "CONSENT_ALLOWED_ORIGINS": ""})
    try:
        client = app.test_client()
        response = client.post(
            "/api/consent", json={"action": "accept_all"}, headers={"Origin": ALLOWED_ORIGIN}
        )
        assert_error(response, 403, "origin_not_allowed")
        assert_no_cors(client.get("/api/policy", headers={"Origin": ALLOWED_ORIGIN}))
    finally:
        ConsentUI.state(app).store.close()
    assert store.count() == 0

"""The JSON API through the Flask test client: every route, the consent cookie, the log
record each choice writes, and every bad input refused with nothing written."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from consent_ui.extension import ConsentUI
from consent_ui.policy import load_policy
from consent_ui.store.sqlite import SQLiteStore
from consent_ui.token import ConsentSigner
from tests.conftest import SECRET, ConsentActions, assert_error

ALL = ["essential", "statistics", "personalization", "marketing"]
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
MAX_AGE = 182 * 24 * 3600
CLEARED = "consent=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax"


def cookie_header(response: TestResponse, name: str = "consent") -> str | None:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert len(headers) <= 1, headers
    return headers[0] if headers else None


def cookie_attributes(response: TestResponse) -> dict[str, str | None]:
    header = cookie_header(response)
    assert header is not None, response.headers
    value, *attributes = header.split("; ")
    parsed: dict[str, str | None] = {"consent": value.split("=", 1)[1]}
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        parsed[key] = val or None
    return parsed


def log_rows(store: SQLiteStore) -> list[dict[str, Any]]:
    conn = sqlite3.connect(store.path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM consent_log ORDER BY id")]
    finally:
        conn.close()


def written(store: SQLiteStore) -> tuple[int, int]:
    """Rows in the log and in the texts table."""
    texts = store.db.execute("SELECT count(*) FROM consent_texts").fetchone()[0]
    return store.count(), texts


# --- POST /api/consent ---------------------------------------------------------------


def test_record_answers_201_with_the_consent(consent: ConsentActions, app: Flask) -> None:
    with time_machine.travel(NOW, tick=False):
        response = consent.accept_all()
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"id", "categories", "revision", "issued_at", "expires_at", "token"}
    assert body["categories"] == ALL
    assert body["revision"] == 1
    assert body["issued_at"] == "2026-03-01T12:00:00Z"
    assert body["expires_at"] == "2026-08-30T12:00:00Z"
    state = ConsentUI.state(app)
    with time_machine.travel(NOW, tick=False):
        verified = state.signer.verify(body["token"], state.policy)
    assert verified is not None
    assert verified.id == body["id"]


@pytest.mark.parametrize(
    ("body", "categories"),
    [
        ({"action": "reject_all"}, ["essential"]),
        ({"action": "custom", "categories": []}, ["essential"]),
        (
            {"action": "custom", "categories": ["marketing", "statistics"]},
            ["essential", "statistics", "marketing"],
        ),
        ({"action": "custom", "categories": ["essential"]}, ["essential"]),
    ],
)
def test_record_grants_what_was_chosen(
    client: FlaskClient, body: dict[str, Any], categories: list[str]
) -> None:
    response = client.post("/api/consent", json=body)
    assert response.status_code == 201
    assert response.get_json()["categories"] == categories


def test_cookie_attributes_on_http(consent: ConsentActions) -> None:
    response = consent.accept_all()
    attributes = cookie_attributes(response)
    assert attributes["consent"] == response.get_json()["token"]
    assert attributes["Path"] == "/"
    assert attributes["SameSite"] == "Lax"
    assert attributes["Max-Age"] == str(MAX_AGE)
    assert "HttpOnly" not in attributes
    assert "Secure" not in attributes
    assert "Domain" not in attributes


def test_cookie_is_secure_on_https(client: FlaskClient) -> None:
    response = client.post(
        "/api/consent", json={"action": "accept_all"}, base_url="https://consent.example.org"
    )
    assert response.status_code == 201
    attributes = cookie_attributes(response)
    assert "Secure" in attributes
    assert "HttpOnly" not in attributes
    assert attributes["SameSite"] == "Lax"


def test_cookie_domain_and_lifetime_follow_the_settings(config: dict[str, Any]) -> None:
    from consent_ui import create_app

    app = create_app(
        {**config, "CONSENT_COOKIE_DOMAIN": "example.org", "CONSENT_MAX_AGE_DAYS": "30"}
    )
    try:
        response = app.test_client().post("/api/consent", json={"action": "reject_all"})
        attributes = cookie_attributes(response)
        assert attributes["Domain"] == "example.org"
        assert attributes["Max-Age"] == str(30 * 24 * 3600)
    finally:
        ConsentUI.state(app).store.close()


@pytest.mark.parametrize("surface", ["banner", "preferences", "placeholder", "api"])
def test_the_record_in_the_log(client: FlaskClient, store: SQLiteStore, surface: str) -> None:
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            "/api/consent",
            json={
                "action": "custom",
                "categories": ["statistics"],
                "surface": surface,
                "lang": "fr",
                "page": "/ads/12?email=alice@example.org#photos",
            },
            environ_base={"REMOTE_ADDR": "203.0.113.77"},
        )
    assert response.status_code == 201
    consent_id = response.get_json()["id"]
    [row] = log_rows(store)
    text_hash = row.pop("text_hash")
    assert row == {
        "id": 1,
        "consent_id": consent_id,
        "created_at": "2026-03-01T12:00:00Z",
        "action": "custom",
        "categories": '["essential", "statistics"]',
        "revision": 1,
        "lang": "fr",
        "surface": surface,
        "page": "/ads/12",
        "gpc": 0,
        "expires_at": "2026-08-30T12:00:00Z",
        "ip_prefix": "203.0.113.0",
        "anonymised_at": None,
        "agent": None,
        "previous_choice_at": None,
    }
    if surface == "api":
        assert text_hash is None
        assert written(store) == (1, 0)
        return
    text = store.text(text_hash)
    assert text, "the text shown is kept with its hash"
    assert hashlib.sha256(text.encode()).hexdigest() == text_hash
    texts = store.db.execute("SELECT hash, lang, revision FROM consent_texts").fetchall()
    assert texts == [(text_hash, "fr", 1)]


@pytest.mark.parametrize(
    ("user_agent", "agent"),
    [
        ("Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36", None),
        ("Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 consent-ui-scanner/0.1.0", "scanner"),
        ("Mozilla/5.0 (X11; Linux x86_64) Firefox/153.0 consent-ui-qa/0.1.0", "qa"),
        ("not-consent-ui-qa/1.0", None),
    ],
)
def test_the_tools_of_consent_ui_are_noted(
    consent: ConsentActions, store: SQLiteStore, user_agent: str, agent: str | None
) -> None:
    consent.client.environ_base["HTTP_USER_AGENT"] = user_agent
    assert consent.accept_all().status_code == 201
    assert consent.withdraw().status_code == 200
    assert [row["agent"] for row in log_rows(store)] == [agent, agent]


@pytest.mark.parametrize(
    ("surface", "words"),
    [
        ("banner", ["Tout refuser", "Tout accepter", "Personnaliser"]),
        ("preferences", ["Gestion des cookies", "Statistiques", "Enregistrer mes choix"]),
    ],
)
def test_the_text_kept_is_the_visible_words(
    consent: ConsentActions, store: SQLiteStore, surface: str, words: list[str]
) -> None:
    consent.accept_all(surface=surface, lang="fr")
    [row] = log_rows(store)
    text = store.text(row["text_hash"])
    assert text is not None
    assert all(word in text for word in words)
    assert "<" not in text
    assert "data-consent" not in text


def test_the_same_text_is_stored_once(consent: ConsentActions, store: SQLiteStore) -> None:
    for _ in range(3):
        consent.accept_all(surface="banner", lang="en")
    consent.accept_all(surface="banner", lang="fr")
    hashes = {row["text_hash"] for row in log_rows(store)}
    assert len(hashes) == 2
    assert written(store) == (4, 2)


@pytest.mark.parametrize(
    ("address", "prefix"),
    [("203.0.113.77", "203.0.113.0"), ("2001:db8:abcd:12:34:56:78:9a", "2001:db8:abcd::")],
)
def test_the_raw_address_is_never_stored(
    client: FlaskClient, store: SQLiteStore, address: str, prefix: str
) -> None:
    environ = {"REMOTE_ADDR": address}
    client.post("/api/consent", json={"action": "accept_all"}, environ_base=environ)
    client.post(
        "/api/consent", json={"action": "reject_all", "surface": "banner"}, environ_base=environ
    )
    client.delete("/api/consent", environ_base=environ)
    assert [r["ip_prefix"] for r in log_rows(store)] == [prefix] * 3
    store.close()
    files = [p for p in store.path.parent.iterdir() if p.name.startswith(store.path.name)]
    content = b"".join(p.read_bytes() for p in files)
    assert prefix.encode() in content, "the scan reads where the records are"
    assert address.encode() not in content


def test_one_consent_id_across_choices(consent: ConsentActions, store: SQLiteStore) -> None:
    first = consent.accept_all().get_json()
    second = consent.custom(["statistics"], surface="preferences").get_json()
    third = consent.reject_all().get_json()
    assert first["id"] == second["id"] == third["id"]
    assert first["token"] != third["token"]
    assert third["categories"] == ["essential"]
    assert store.count(first["id"]) == 3
    assert [r["action"] for r in store.history(first["id"])] == [
        "accept_all",
        "custom",
        "reject_all",
    ]


def test_the_token_header_counts_like_the_cookie(app: Flask, store: SQLiteStore) -> None:
    token = app.test_client().post("/api/consent", json={"action": "accept_all"}).get_json()
    other = app.test_client()
    headers = {"X-Consent-Token": token["token"]}
    current = other.get("/api/consent", headers=headers)
    assert current.status_code == 200
    assert current.get_json()["id"] == token["id"]
    again = other.post("/api/consent", json={"action": "reject_all"}, headers=headers)
    assert again.get_json()["id"] == token["id"]
    assert store.count(token["id"]) == 2


def test_a_bad_token_header_falls_back_to_the_cookie(consent: ConsentActions) -> None:
    first = consent.accept_all().get_json()
    response = consent.client.get("/api/consent", headers={"X-Consent-Token": "forged"})
    assert response.status_code == 200
    assert response.get_json()["id"] == first["id"]


# --- GET /api/consent -----------------------------------------------------------------


def test_read_the_current_consent(consent: ConsentActions) -> None:
    with time_machine.travel(NOW, tick=False):
        chosen = consent.custom(["personalization"]).get_json()
    with time_machine.travel(NOW + timedelta(days=10), tick=False):
        response = consent.current()
    assert response.status_code == 200
    assert response.get_json() == {
        "id": chosen["id"],
        "categories": ["essential", "personalization"],
        "revision": 1,
        "issued_at": "2026-03-01T12:00:00Z",
        "expires_at": "2026-08-30T12:00:00Z",
    }
    assert cookie_header(response) is None, "the cookie is not re-issued on reads"


def test_read_without_consent(consent: ConsentActions) -> None:
    response = consent.current()
    assert_error(response, 404, "no_consent")
    assert cookie_header(response) is None


def _forged(kind: str) -> str:
    policy = load_policy()
    consent_id = "0b6f2a0e-3c1e-4d55-9a4f-2f1f7d1c2b3a"
    signer = ConsentSigner(SECRET, max_age=timedelta(days=182))
    token, _ = signer.sign(consent_id, ALL, policy)
    if kind == "tampered":
        head, stamp, signature = token.split(".")
        return f"{head}.{stamp}.{signature[:-3]}abc"
    if kind == "other-key":
        return ConsentSigner("another-key", max_age=timedelta(days=182)).sign(
            consent_id, ALL, policy
        )[0]
    if kind == "other-revision":
        return signer.sign(consent_id, ALL, dataclasses.replace(policy, revision=2))[0]
    if kind == "expired":
        with time_machine.travel(datetime.now(UTC) - timedelta(days=183)):
            return signer.sign(consent_id, ALL, policy)[0]
    return "not-a-token"


@pytest.mark.parametrize("kind", ["tampered", "other-key", "other-revision", "expired", "junk"])
def test_a_refused_cookie_is_no_consent_and_is_cleared(client: FlaskClient, kind: str) -> None:
    client.set_cookie("consent", _forged(kind))
    response = client.get("/api/consent")
    assert_error(response, 404, "no_consent")
    assert cookie_header(response) == CLEARED
    assert client.get_cookie("consent") is None


def test_the_forged_tokens_are_refused_for_their_fault_alone(client: FlaskClient) -> None:
    client.set_cookie(
        "consent",
        ConsentSigner(SECRET, max_age=timedelta(days=182)).sign(
            "0b6f2a0e-3c1e-4d55-9a4f-2f1f7d1c2b3a", ALL, load_policy()
        )[0],
    )
    assert client.get("/api/consent").status_code == 200


# --- DELETE /api/consent --------------------------------------------------------------


def test_withdraw(consent: ConsentActions, store: SQLiteStore) -> None:
    with time_machine.travel(NOW, tick=False):
        first = consent.custom(["statistics"]).get_json()
        response = consent.withdraw()
    assert response.status_code == 200
    assert response.get_json() == {
        "id": first["id"],
        "action": "withdraw",
        "withdrawn_at": "2026-03-01T12:00:00Z",
    }
    assert cookie_header(response) == CLEARED
    rows = log_rows(store)
    assert [r["consent_id"] for r in rows] == [first["id"]] * 2
    withdrawal = rows[1]
    assert withdrawal["action"] == "withdraw"
    assert withdrawal["categories"] == '["essential"]'
    assert withdrawal["created_at"] == "2026-03-01T12:00:00Z"
    assert (withdrawal["text_hash"], withdrawal["expires_at"]) == (None, None)
    assert (withdrawal["surface"], withdrawal["gpc"]) == ("api", 0)

    assert_error(consent.current(), 404, "no_consent")
    second = consent.accept_all().get_json()
    assert second["id"] != first["id"], "the next choice starts a new id"
    assert store.count(first["id"]) == 2
    assert store.count(second["id"]) == 1


def test_withdraw_with_a_body(consent: ConsentActions, store: SQLiteStore) -> None:
    consent.accept_all()
    response = consent.client.delete(
        "/api/consent",
        json={"surface": "preferences", "page": "/account?tab=privacy", "lang": "fr"},
        headers={"Sec-GPC": "1"},
    )
    assert response.status_code == 200
    withdrawal = log_rows(store)[-1]
    assert (withdrawal["surface"], withdrawal["page"], withdrawal["lang"], withdrawal["gpc"]) == (
        "preferences",
        "/account",
        "fr",
        1,
    )


def test_withdraw_without_consent(consent: ConsentActions, store: SQLiteStore) -> None:
    assert_error(consent.withdraw(), 404, "no_consent")
    assert written(store) == (0, 0)


def test_withdraw_twice(consent: ConsentActions, store: SQLiteStore) -> None:
    consent.accept_all()
    assert consent.withdraw().status_code == 200
    assert_error(consent.withdraw(), 404, "no_consent")
    assert store.count() == 2


# --- GET /api/consent/history ---------------------------------------------------------


def test_history(consent: ConsentActions, store: SQLiteStore) -> None:
    with time_machine.travel(NOW, tick=False):
        first = consent.accept_all(surface="banner", lang="en", page="/").get_json()
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        consent.custom(["statistics"], surface="preferences", lang="fr")
        consent.reject_all()
        response = consent.client.get("/api/consent/history")
    app_rows = log_rows(store)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"id", "records", "texts"}
    assert body["id"] == first["id"]
    assert body["records"] == store.history(first["id"])
    assert [r["action"] for r in body["records"]] == ["accept_all", "custom", "reject_all"]
    assert body["records"][0] == {
        "created_at": "2026-03-01T12:00:00Z",
        "action": "accept_all",
        "categories": ALL,
        "revision": 1,
        "text_hash": app_rows[0]["text_hash"],
        "lang": "en",
        "surface": "banner",
        "page": "/",
        "gpc": False,
        "expires_at": "2026-08-30T12:00:00Z",
        "ip_prefix": "127.0.0.0",
    }
    hashes = [r["text_hash"] for r in app_rows[:2]]
    assert body["texts"] == {h: store.text(h) for h in hashes}
    assert all(body["texts"].values())


def test_history_only_holds_the_callers_records(app: Flask, consent: ConsentActions) -> None:
    app.test_client().post("/api/consent", json={"action": "accept_all"})
    mine = consent.reject_all().get_json()
    records = consent.client.get("/api/consent/history").get_json()["records"]
    assert len(records) == 1
    assert records[0]["action"] == "reject_all"
    assert consent.client.get("/api/consent/history").get_json()["id"] == mine["id"]


def test_history_without_consent(client: FlaskClient) -> None:
    assert_error(client.get("/api/consent/history"), 404, "no_consent")


# --- GET /api/policy, /.well-known/gpc.json -------------------------------------------


@pytest.mark.parametrize(
    ("query", "headers", "lang"),
    [
        ("?lang=fr", {}, "fr"),
        ("?lang=en", {"Accept-Language": "fr"}, "en"),
        ("", {"Accept-Language": "fr-CM,fr;q=0.9"}, "fr"),
        ("", {}, "en"),
        ("?lang=de", {}, "en"),
    ],
)
def test_policy(client: FlaskClient, query: str, headers: dict[str, str], lang: str) -> None:
    response = client.get(f"/api/policy{query}", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body == load_policy().to_json(lang)
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_policy_in_french(client: FlaskClient) -> None:
    body = client.get("/api/policy?lang=fr").get_json()
    assert set(body) == {"revision", "lang", "google_consent_mode", "categories"}
    assert (body["revision"], body["lang"], body["google_consent_mode"]) == (1, "fr", True)
    assert [(c["key"], c["required"], c["label"]) for c in body["categories"]] == [
        ("essential", True, "Essentiels"),
        ("statistics", False, "Statistiques"),
        ("personalization", False, "Personnalisation"),
        ("marketing", False, "Marketing"),
    ]
    [analytics] = body["categories"][1]["services"]
    assert set(analytics) == {"name", "provider", "privacy_url", "cookies", "storage", "hosts"}
    assert [c["name"] for c in analytics["cookies"]] == ["_ga", "_ga_*"]
    assert "www.google-analytics.com" in analytics["hosts"]
    assert analytics["cookies"][0]["duration"] == "13 mois"
    assert set(analytics["cookies"][0]) >= {"name", "duration", "purpose"}


def test_gpc_json(client: FlaskClient) -> None:
    response = client.get("/.well-known/gpc.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"gpc": True, "lastUpdate": "2026-11-22"}
    assert response.headers["Cache-Control"] == "public, max-age=86400"


# --- Bad input: exact status and code, nothing written, never a 5xx -------------------

BIG = "x" * (16 * 1024)


def _json(value: Any) -> dict[str, Any]:
    return {"data": json.dumps(value), "content_type": "application/json"}


def _chunked(body: bytes) -> dict[str, Any]:
    # A server that terminates the input (gunicorn) lets the app read a chunked body.
    return {
        "input_stream": io.BytesIO(body),
        "content_type": "application/json",
        "headers": {"Transfer-Encoding": "chunked"},
        "environ_overrides": {"wsgi.input_terminated": True},
    }


BAD_POSTS = [
    ("form", {"data": {"action": "accept_all"}}, 415, "unsupported_media_type"),
    (
        "text-plain",
        {"data": '{"action": "accept_all"}', "content_type": "text/plain"},
        415,
        "unsupported_media_type",
    ),
    ("no-content-type", {"data": '{"action": "accept_all"}'}, 415, "unsupported_media_type"),
    (
        "multipart",
        {"data": {"action": "accept_all"}, "content_type": "multipart/form-data"},
        415,
        "unsupported_media_type",
    ),
    (
        "malformed",
        {"data": '{"action": ', "content_type": "application/json"},
        400,
        "invalid_json",
    ),
    ("empty", {"data": "", "content_type": "application/json"}, 400, "invalid_json"),
    ("array", _json(["accept_all"]), 400, "invalid_json"),
    ("string", _json("accept_all"), 400, "invalid_json"),
    ("null", _json(None), 400, "invalid_json"),
    (
        "not-utf8",
        {"data": b'{"action": "accept_all", "lang": "\xff"}', "content_type": "application/json"},
        400,
        "invalid_json",
    ),
    (
        "nested-too-deep",
        {"data": "[" * 8000 + "]" * 8000, "content_type": "application/json"},
        400,
        "invalid_json",
    ),
    ("missing-action", _json({"categories": ["statistics"]}), 400, "missing_field"),
    ("unknown-action", _json({"action": "accept"}), 400, "invalid_field"),
    ("withdraw-action", _json({"action": "withdraw"}), 400, "invalid_field"),
    ("custom-without-categories", _json({"action": "custom"}), 400, "missing_field"),
    (
        "unknown-category",
        _json({"action": "custom", "categories": ["statistics", "video"]}),
        400,
        "unknown_category",
    ),
    (
        "categories-not-a-list",
        _json({"action": "custom", "categories": "statistics"}),
        400,
        "invalid_field",
    ),
    (
        "categories-not-strings",
        _json({"action": "custom", "categories": [1, 2]}),
        400,
        "invalid_field",
    ),
    ("surface-unknown", _json({"action": "accept_all", "surface": "popup"}), 400, "invalid_field"),
    ("lang-unknown", _json({"action": "accept_all", "lang": "de"}), 400, "invalid_field"),
    ("page-not-a-path", _json({"action": "accept_all", "page": "ads"}), 400, "invalid_field"),
    (
        "page-too-long",
        _json({"action": "accept_all", "page": "/" + "a" * 2048}),
        400,
        "invalid_field",
    ),
    ("gpc-not-bool", _json({"action": "accept_all", "gpc": "1"}), 400, "invalid_field"),
    (
        "over-16kb",
        _json({"action": "accept_all", "padding": BIG}),
        413,
        "payload_too_large",
    ),
    (
        "one-byte-over",
        {
            "data": b'{"action": "accept_all"}' + b" " * (16 * 1024 - 23),
            "content_type": "application/json",
        },
        413,
        "payload_too_large",
    ),
    (
        "one-byte-over-chunked",
        _chunked(b'{"action": "accept_all"}' + b" " * (16 * 1024 - 23)),
        413,
        "payload_too_large",
    ),
    (
        "over-16kb-chunked",
        _chunked(json.dumps({"action": "accept_all", "padding": BIG}).encode()),
        413,
        "payload_too_large",
    ),
    (
        "over-16kb-chunked-valid-prefix",
        _chunked(b'{"action": "accept_all"}' + b" " * (16 * 1024)),
        413,
        "payload_too_large",
    ),
]


#: The pages the issue found answered 500 (urlsplit raised on their authority), and
#: the path each one is logged with.
ODD_PAGES = [
    ("//[", "//["),
    ("//[abc]/x", "//[abc]/x"),
    ("http://[::1/x", "/x"),
    ("//a\uff03b/x", "//a\uff03b/x"),
]


@pytest.mark.parametrize(("page", "logged"), ODD_PAGES)
def test_odd_pages_are_paths_not_errors(
    consent: ConsentActions, store: SQLiteStore, page: str, logged: str
) -> None:
    assert consent.accept_all(page=page).status_code == 201
    withdrawn = consent.client.delete("/api/consent", json={"page": page})
    assert withdrawn.status_code == 200
    assert [r["page"] for r in log_rows(store)] == [logged, logged]


@pytest.mark.parametrize(
    ("request_args", "status", "code"),
    [pytest.param(args, status, code, id=name) for name, args, status, code in BAD_POSTS],
)
def test_bad_choice_is_refused_and_nothing_written(
    client: FlaskClient,
    store: SQLiteStore,
    request_args: dict[str, Any],
    status: int,
    code: str,
) -> None:
    response = client.post("/api/consent", **request_args)
    assert response.status_code < 500
    assert_error(response, status, code)
    assert cookie_header(response) is None
    assert written(store) == (0, 0)


@pytest.mark.parametrize(
    ("request_args", "status", "code"),
    [
        pytest.param({"data": "x=1", "content_type": "text/plain"}, 415, "unsupported_media_type"),
        pytest.param(
            {"data": "[1]", "content_type": "application/json"}, 400, "invalid_json", id="array"
        ),
        pytest.param({"json": {"surface": "popup"}}, 400, "invalid_field", id="surface"),
        pytest.param({"json": {"padding": BIG}}, 413, "payload_too_large", id="too-large"),
    ],
)
def test_bad_withdrawal_is_refused_and_nothing_written(
    consent: ConsentActions,
    store: SQLiteStore,
    request_args: dict[str, Any],
    status: int,
    code: str,
) -> None:
    consent.accept_all()
    response = consent.client.delete("/api/consent", **request_args)
    assert_error(response, status, code)
    assert store.count() == 1
    assert consent.current().status_code == 200, "the consent is still there"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"action": "accept_all"}' + b" " * (16 * 1024 - 24), id="exactly-16kb"),
        pytest.param(b'{"action": "accept_all"}', id="small"),
    ],
)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_bodies_up_to_16kb_are_accepted(
    client: FlaskClient, store: SQLiteStore, body: bytes, chunked: bool
) -> None:
    assert len(body) <= 16 * 1024
    if chunked:
        response = client.post("/api/consent", **_chunked(body))
    else:
        response = client.post("/api/consent", data=body, content_type="application/json")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert store.count() == 1


def test_json_with_a_charset_is_json(client: FlaskClient) -> None:
    response = client.post(
        "/api/consent",
        data='{"action": "reject_all"}',
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/nope"),
        ("post", "/api/nope"),
        ("get", "/api/consent/"),
        ("get", "/api/consent/history/all"),
    ],
)
def test_unknown_api_route(client: FlaskClient, method: str, path: str) -> None:
    assert_error(getattr(client, method)(path), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/api/consent", {"GET", "HEAD", "OPTIONS", "POST", "DELETE"}),
        ("patch", "/api/consent", {"GET", "HEAD", "OPTIONS", "POST", "DELETE"}),
        ("post", "/api/consent/history", {"GET", "HEAD", "OPTIONS"}),
        ("delete", "/api/policy", {"GET", "HEAD", "OPTIONS"}),
        ("post", "/.well-known/gpc.json", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_wrong_method(
    client: FlaskClient, store: SQLiteStore, method: str, path: str, allowed: set[str]
) -> None:
    # Outside /api/ the error shape follows Accept; a JSON client asks for JSON.
    response = getattr(client, method)(
        path, json={"action": "accept_all"}, headers={"Accept": "application/json"}
    )
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == allowed
    assert store.count() == 0


def test_error_messages_are_localised(client: FlaskClient) -> None:
    error = assert_error(
        client.post("/api/consent?lang=fr", json={"action": "custom", "categories": ["video"]}),
        400,
        "unknown_category",
    )
    # The catalogue's wording may be polished; the French quotes show it is translated.
    assert "« video »" in error["message"]
    assert error["message"] != "There is no cookie category “video”."


def test_database_file_is_where_the_settings_say(app: Flask, config: dict[str, Any]) -> None:
    assert ConsentUI.state(app).store.path == Path(config["CONSENT_DATABASE"])

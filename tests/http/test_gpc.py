"""Global Privacy Control: ``Sec-GPC: 1`` (exactly) or ``gpc: true`` keeps the GPC
categories off on "accept all", a custom choice can still grant them, the log says so,
and the banner says the signal was honoured."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from flask.testing import FlaskClient

from consent_ui.store.sqlite import SQLiteStore
from tests.conftest import ConsentActions

ALL = ["essential", "statistics", "personalization", "marketing"]
GPC = {"Sec-GPC": "1"}


def logged(store: SQLiteStore) -> list[tuple[str, str, int]]:
    conn = sqlite3.connect(store.path)
    try:
        return conn.execute(
            "SELECT action, categories, gpc FROM consent_log ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def post(client: FlaskClient, body: dict[str, Any], headers: dict[str, str] | None = None):
    return client.post("/api/consent", json=body, headers=headers or {})


def test_accept_all_under_gpc_keeps_personalization_and_marketing_off(
    client: FlaskClient, store: SQLiteStore
) -> None:
    response = post(client, {"action": "accept_all"}, GPC)
    assert response.status_code == 201
    assert response.get_json()["categories"] == ["essential", "statistics"]
    assert logged(store) == [("accept_all", '["essential", "statistics"]', 1)]


def test_accept_all_without_gpc_grants_everything(client: FlaskClient, store: SQLiteStore) -> None:
    assert post(client, {"action": "accept_all"}).get_json()["categories"] == ALL
    assert logged(store)[0][2] == 0


@pytest.mark.parametrize("value", ["0", "true", " 1", "1 ", "yes", "11", ""])
def test_only_exactly_1_is_the_signal(client: FlaskClient, store: SQLiteStore, value: str) -> None:
    response = post(client, {"action": "accept_all"}, {"Sec-GPC": value})
    assert response.get_json()["categories"] == ALL
    assert logged(store)[0][2] == 0


def test_a_custom_choice_grants_them_one_by_one_despite_gpc(
    client: FlaskClient, store: SQLiteStore
) -> None:
    response = post(
        client, {"action": "custom", "categories": ["personalization", "marketing"]}, GPC
    )
    assert response.get_json()["categories"] == ["essential", "personalization", "marketing"]
    assert logged(store) == [("custom", '["essential", "personalization", "marketing"]', 1)]


def test_the_body_gpc_field_counts_like_the_header(client: FlaskClient, store: SQLiteStore) -> None:
    response = post(client, {"action": "accept_all", "gpc": True})
    assert response.get_json()["categories"] == ["essential", "statistics"]
    assert logged(store) == [("accept_all", '["essential", "statistics"]', 1)]


def test_gpc_false_in_the_body_does_not_cancel_the_header(
    client: FlaskClient, store: SQLiteStore
) -> None:
    response = post(client, {"action": "accept_all", "gpc": False}, GPC)
    assert response.get_json()["categories"] == ["essential", "statistics"]
    assert logged(store)[0][2] == 1


def test_refusals_and_withdrawals_log_the_signal(
    consent: ConsentActions, store: SQLiteStore
) -> None:
    post(consent.client, {"action": "reject_all"}, GPC)
    consent.client.delete("/api/consent", headers=GPC)
    assert logged(store) == [
        ("reject_all", '["essential"]', 1),
        ("withdraw", '["essential"]', 1),
    ]


def test_the_banner_text_logged_under_gpc_holds_the_notice(
    client: FlaskClient, store: SQLiteStore
) -> None:
    post(client, {"action": "accept_all", "surface": "banner"})
    post(client, {"action": "accept_all", "surface": "banner"}, GPC)
    conn = sqlite3.connect(store.path)
    hashes = [r[0] for r in conn.execute("SELECT text_hash FROM consent_log ORDER BY id")]
    conn.close()
    assert hashes[0] != hashes[1]
    assert "Global Privacy Control" not in store.text(hashes[0])
    assert "Global Privacy Control" in store.text(hashes[1])


@pytest.mark.parametrize(
    ("lang", "notice"),
    [
        ("en", "Your browser sent a Global Privacy Control signal"),
        ("fr", "Global Privacy Control"),
    ],
)
def test_the_banner_fragment_shows_the_notice_only_with_the_signal(
    client: FlaskClient, lang: str, notice: str
) -> None:
    without = client.get(f"/consent/banner?lang={lang}").get_data(as_text=True)
    assert "data-consent-gpc" not in without
    assert notice not in without
    for response in (
        client.get(f"/consent/banner?lang={lang}", headers=GPC),
        client.get(f"/consent/banner?lang={lang}&gpc=1"),
    ):
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert html.count("data-consent-gpc") == 2, "in the banner and in the dialog"
        assert notice in html
    refused = client.get(f"/consent/banner?lang={lang}", headers={"Sec-GPC": "0"})
    assert "data-consent-gpc" not in refused.get_data(as_text=True)


def test_the_fragment_varies_on_the_signal(client: FlaskClient) -> None:
    response = client.get("/consent/banner")
    assert "Sec-GPC" in response.vary


def test_the_notice_names_the_gpc_categories(client: FlaskClient) -> None:
    html = client.get("/consent/banner?part=banner", headers=GPC).get_data(as_text=True)
    notice = html.split("data-consent-gpc>", 1)[1].split("</p>", 1)[0]
    assert "personalisation and marketing" in notice
    assert "statistics" not in notice


def test_gpc_support_resource(client: FlaskClient) -> None:
    response = client.get("/.well-known/gpc.json")
    assert response.status_code == 200
    assert response.get_json() == {"gpc": True, "lastUpdate": "2026-11-22"}

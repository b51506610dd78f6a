"""A withdrawn consent id is no consent anywhere, at once: after ``DELETE /api/consent``
with ``X-Consent-Token: $T``, the same ``$T`` (a copy kept elsewhere) grants nothing on
the app that withdrew it and on another app sharing the log (another worker or node),
on both engines: ``GET /api/consent`` 404, ``has()`` false, ``requires()`` 403, and a
later choice with it starts a new id. An id an operator erased is ended the same way:
its records no longer name it, so nothing could prove its consent."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent_ui import ConsentUI, rights
from consent_ui.consent import utcnow
from consent_ui.store import is_postgres_url, open_store
from tests.conftest import SECRET, assert_error

#: How long another node may take to hear of a withdrawal on PostgreSQL (NOTIFY reaches
#: it within milliseconds; the bound keeps a very busy machine from failing the test).
#: On SQLite the other node's very next check reads the log (``PRAGMA data_version``).
NOTIFY_BOUND_SECONDS = 10.0


def host_app(database: str) -> Flask:
    """A Flask developer's app mounting the extension, with one gated view."""
    app = Flask(f"host_{id(database)}")
    app.config.update(
        TESTING=True,
        SECRET_KEY="the host's own key",
        CONSENT_SECRET_KEY=SECRET,
        CONSENT_DATABASE=database,
    )
    consent_ui = ConsentUI(app)

    @app.get("/recommendations")
    @consent_ui.requires("personalization")
    def recommendations() -> str:
        return "personalised"

    @app.get("/has")
    def has() -> dict[str, bool]:
        return {"personalization": consent_ui.has("personalization")}

    return app


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "consent.db")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def node(database: str) -> Iterator[Callable[[], FlaskClient]]:
    """``node()``: a client of a new app on the shared log (another worker or node)."""
    apps: list[Flask] = []

    def make() -> FlaskClient:
        app = host_app(database)
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        state = ConsentUI.state(app)
        state.withdrawals.close()
        state.store.close()


def accept_all(client: FlaskClient) -> dict:
    response = client.post("/api/consent", json={"action": "accept_all"})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def answers(client: FlaskClient, token: str) -> tuple[bool, bool, bool]:
    """Whether ``GET /api/consent``, ``has()`` and ``requires()`` honour ``token``."""
    headers = {"X-Consent-Token": token}
    read = client.get("/api/consent", headers=headers)
    has = client.get("/has", headers=headers).get_json()["personalization"]
    gated = client.get("/recommendations", headers=headers)
    return read.status_code == 200, has, gated.status_code == 200


def granted(client: FlaskClient, token: str) -> bool:
    found = answers(client, token)
    assert len(set(found)) == 1, f"GET, has() and requires() disagree: {found}"
    return found[0]


def assert_ended(client: FlaskClient, token: str, old_id: str) -> None:
    headers = {"X-Consent-Token": token}
    assert_error(client.get("/api/consent", headers=headers), 404, "no_consent")
    assert client.get("/has", headers=headers).get_json() == {"personalization": False}
    assert client.get("/recommendations", headers=headers).status_code == 403
    assert_error(client.get("/api/consent/history", headers=headers), 404, "no_consent")
    assert_error(client.delete("/api/consent", headers=headers), 404, "no_consent")
    again = client.post("/api/consent", json={"action": "reject_all"}, headers=headers)
    assert again.status_code == 201
    assert again.get_json()["id"] != old_id, "a later choice with it starts a new id"


def withdraw(client: FlaskClient, token: str) -> None:
    response = client.delete("/api/consent", headers={"X-Consent-Token": token})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_withdrawn_token_grants_nothing_on_the_same_app(
    node: Callable[[], FlaskClient],
) -> None:
    client = node()
    consent = accept_all(client)
    assert granted(client, consent["token"])
    withdraw(client, consent["token"])
    assert_ended(client, consent["token"], consent["id"])


def test_a_withdrawn_cookie_grants_nothing_and_is_cleared(
    node: Callable[[], FlaskClient],
) -> None:
    client, other = node(), node()
    consent = accept_all(client)
    copy = consent["token"]
    withdraw(client, copy)
    other.set_cookie("consent", copy)
    response = other.get("/api/consent")
    assert_error(response, 404, "no_consent")
    assert "consent=;" in response.headers["Set-Cookie"], "the refused cookie is cleared"
    assert other.get("/has").get_json() == {"personalization": False}


def test_a_token_withdrawn_on_another_node_grants_nothing_there(
    database: str, node: Callable[[], FlaskClient]
) -> None:
    first, second = node(), node()
    consent = accept_all(first)
    token = consent["token"]
    assert granted(second, token), "the other node honours the token before"
    withdraw(first, token)
    if not is_postgres_url(database):
        assert not any(answers(second, token)), "the very next request refuses it"
    started = time.monotonic()
    while any(answers(second, token)):
        waited = time.monotonic() - started
        assert waited < NOTIFY_BOUND_SECONDS, f"still granted after {waited:.3f} s"
    print(f"\nthe other node refused the withdrawn token {time.monotonic() - started:.4f} s later")
    assert_ended(second, token, consent["id"])
    assert_ended(first, token, consent["id"])


def test_a_node_started_after_the_withdrawal_knows_it(
    node: Callable[[], FlaskClient],
) -> None:
    first = node()
    consent = accept_all(first)
    withdraw(first, consent["token"])
    assert_ended(node(), consent["token"], consent["id"])


def test_other_consents_still_count(node: Callable[[], FlaskClient]) -> None:
    first, second = node(), node()
    kept, ended = accept_all(first), accept_all(first.application.test_client())
    assert kept["id"] != ended["id"]
    withdraw(second, ended["token"])
    assert granted(first, kept["token"])
    assert granted(second, kept["token"])


def erase(database: str, consent_id: str) -> int:
    """An erasure as ``consent-ui anonymise`` makes it, from another process's store,
    which none of the nodes hears from but through the log; how many records."""
    store = open_store(database)
    try:
        return rights.erase(store, consent_id, now=utcnow(), ip_prefix=None)
    finally:
        store.close()


def test_an_erased_id_grants_nothing_on_any_node(
    database: str, node: Callable[[], FlaskClient]
) -> None:
    running = node()
    consent = accept_all(running)
    token = consent["token"]
    assert granted(running, token)
    assert erase(database, consent["id"]) == 1
    started = time.monotonic()
    while any(answers(running, token)):
        waited = time.monotonic() - started
        assert waited < NOTIFY_BOUND_SECONDS, f"still granted after {waited:.3f} s"
    assert_ended(running, token, consent["id"])
    assert_ended(node(), token, consent["id"])  # a node started after the erasure


def test_a_withdrawn_then_erased_id_stays_ended(
    database: str, node: Callable[[], FlaskClient]
) -> None:
    """The withdraw record is anonymised too: the erasure's audit row is what a node
    started afterwards still knows the id by."""
    first = node()
    consent = accept_all(first)
    withdraw(first, consent["token"])
    assert erase(database, consent["id"]) == 2  # the choice and its withdrawal
    assert_ended(node(), consent["token"], consent["id"])

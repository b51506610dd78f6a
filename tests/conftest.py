"""Fixtures shared by every test: an app on a temporary database, its client and CLI
runner, helpers that post choices and check the one error shape, and a throwaway
PostgreSQL cluster for the tests that run on both engines."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.test import TestResponse

from consent_ui import create_app
from consent_ui.extension import ConsentUI
from consent_ui.store.sqlite import SQLiteStore
from examples.postgres import NoPostgres, PostgresCluster

#: pytester runs small QA projects in a subprocess to test the QA kit's plugin.
pytest_plugins = ["pytester"]

#: At least 32 characters, as start-up demands of every signing key.
SECRET = "test-secret-key-of-thirty-two-characters"
ALLOWED_ORIGIN = "https://shop.example.org"


@pytest.fixture(autouse=True)
def _no_consent_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests configure the app explicitly; a developer's CONSENT_* variables stay out."""
    import os

    for key in list(os.environ):
        if key.startswith("CONSENT_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster of our own for the whole run, on a free port, removed at the
    end. Without PostgreSQL the tests that need it fail: they are never skipped."""
    try:
        cluster = PostgresCluster.start()
    except NoPostgres as e:
        pytest.fail(str(e))
    yield cluster
    cluster.remove()


_databases = itertools.count(1)


@pytest.fixture
def postgres_url(postgres: PostgresCluster) -> Iterator[str]:
    """The URL of a new, empty database (and its own role), dropped after the test."""
    name = f"consent_test_{next(_databases)}"
    url = postgres.create_database(name)
    yield url
    postgres.drop_database(name)


@pytest.fixture
def config(tmp_path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "CONSENT_SECRET_KEY": SECRET,
        "CONSENT_DATABASE": str(tmp_path / "consent.db"),
        "CONSENT_ALLOWED_ORIGINS": ALLOWED_ORIGIN,
    }


@pytest.fixture
def app(config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(config)
    yield app
    ConsentUI.state(app).store.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


#: The locale variables the command line reads its language from (gettext's order).
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture
def runner(app: Flask, monkeypatch: pytest.MonkeyPatch) -> FlaskCliRunner:
    """Click's runner on ``app``, in an English terminal whatever the developer's."""
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    return app.test_cli_runner()


@pytest.fixture
def store(app: Flask) -> SQLiteStore:
    return ConsentUI.state(app).store


class ConsentActions:
    """Repeated API calls, in the spirit of flaskr's AuthActions."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def choose(
        self, action: str, categories: list[str] | None = None, **fields: Any
    ) -> TestResponse:
        body: dict[str, Any] = {"action": action, **fields}
        if categories is not None:
            body["categories"] = categories
        return self.client.post("/api/consent", json=body)

    def accept_all(self, **fields: Any) -> TestResponse:
        return self.choose("accept_all", **fields)

    def reject_all(self, **fields: Any) -> TestResponse:
        return self.choose("reject_all", **fields)

    def custom(self, categories: list[str], **fields: Any) -> TestResponse:
        return self.choose("custom", categories, **fields)

    def current(self) -> TestResponse:
        return self.client.get("/api/consent")

    def withdraw(self) -> TestResponse:
        return self.client.delete("/api/consent")


@pytest.fixture
def consent(client: FlaskClient) -> ConsentActions:
    return ConsentActions(client)


def assert_error(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The one JSON error shape: exactly {"error": {"code", "message"}}, message non-empty."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"].strip()
    return body["error"]

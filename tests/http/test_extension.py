"""``ConsentUI`` mounted in a host Flask app (not ``create_app``): the server-side
questions, the ``requires`` decorator, the Jinja helper and where the state lives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, jsonify, render_template_string
from flask.testing import FlaskClient

from consent_ui import ConsentUI, create_app
from consent_ui.errors import ConfigError
from consent_ui.extension import State
from consent_ui.store.sqlite import SQLiteStore
from tests.conftest import SECRET, assert_error

JSON = {"Accept": "application/json"}


def host_app(tmp_path: Path, mount: str, name: str = "host") -> tuple[Flask, ConsentUI]:
    # An explicit root_path: the host's own templates folder, never the checkout's.
    app = Flask(name, root_path=str(tmp_path / name))
    app.config.update(
        TESTING=True,
        SECRET_KEY=f"the session key of {name}",
        CONSENT_SECRET_KEY=f"{SECRET}-{name}",
        CONSENT_DATABASE=str(tmp_path / f"{name}.db"),
    )
    if mount == "constructor":
        ext = ConsentUI(app)
    else:
        ext = ConsentUI()
        ext.init_app(app)

    @app.get("/whoami")
    def whoami():
        current = ext.current()
        return jsonify(
            current=current.to_json() if current else None,
            statistics=ext.has("statistics"),
            marketing=ext.has("marketing"),
            essential=ext.has("essential"),
        )

    @app.get("/ads")
    @ext.requires("marketing")
    def ads():
        return "personalised ads"

    @app.get("/template")
    def template():
        return render_template_string(
            "{{ consent_ui.has('statistics') }} {{ consent_ui.has('essential') }}"
            " {{ consent_ui.current().id if consent_ui.current() else '-' }}"
        )

    return app, ext


@pytest.fixture(params=["constructor", "init_app"])
def host(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Flask, ConsentUI]]:
    app, ext = host_app(tmp_path, request.param)
    yield app, ext
    ConsentUI.state(app).store.close()


@pytest.fixture
def host_client(host: tuple[Flask, ConsentUI]) -> FlaskClient:
    return host[0].test_client()


def test_no_consent_before_a_choice(host_client: FlaskClient) -> None:
    assert host_client.get("/whoami").get_json() == {
        "current": None,
        "statistics": False,
        "marketing": False,
        "essential": True,
    }


def test_the_consent_after_a_choice(host_client: FlaskClient) -> None:
    chosen = host_client.post(
        "/api/consent", json={"action": "custom", "categories": ["statistics"]}
    )
    assert chosen.status_code == 201
    body = chosen.get_json()
    state = host_client.get("/whoami").get_json()
    assert state == {
        "current": {k: v for k, v in body.items() if k != "token"},
        "statistics": True,
        "marketing": False,
        "essential": True,
    }


def test_has_an_unknown_category_raises(host: tuple[Flask, ConsentUI]) -> None:
    app, ext = host
    with app.test_request_context("/"), pytest.raises(ValueError, match="'nope'"):
        ext.has("nope")


def test_current_within_a_request_from_the_header(host: tuple[Flask, ConsentUI]) -> None:
    app, ext = host
    token = app.test_client().post("/api/consent", json={"action": "accept_all"}).get_json()
    with app.test_request_context("/", headers={"X-Consent-Token": token["token"]}):
        current = ext.current()
        assert current is not None
        assert current.id == token["id"]
        assert ext.has("marketing")
    with app.test_request_context("/", headers={"X-Consent-Token": token["token"] + "x"}):
        assert ext.current() is None
        assert not ext.has("marketing")


@pytest.mark.parametrize(
    ("query", "words"),
    [("", "“Marketing” cookies"), ("?lang=fr", "Cette fonctionnalité nécessite")],
)
def test_requires_refuses_without_consent(host_client: FlaskClient, query: str, words: str) -> None:
    error = assert_error(host_client.get(f"/ads{query}", headers=JSON), 403, "consent_required")
    assert words in error["message"]


def test_requires_refuses_with_another_choice(host_client: FlaskClient) -> None:
    host_client.post("/api/consent", json={"action": "custom", "categories": ["statistics"]})
    assert_error(host_client.get("/ads", headers=JSON), 403, "consent_required")


def test_requires_refuses_with_an_html_page_for_browsers(host_client: FlaskClient) -> None:
    response = host_client.get("/ads?lang=fr", headers={"Accept": "text/html"})
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Cette fonctionnalité nécessite" in html


def test_requires_runs_the_view_with_consent(host_client: FlaskClient) -> None:
    host_client.post("/api/consent", json={"action": "custom", "categories": ["marketing"]})
    response = host_client.get("/ads")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "personalised ads"


def test_requires_refuses_again_after_withdrawal(host_client: FlaskClient) -> None:
    host_client.post("/api/consent", json={"action": "accept_all"})
    assert host_client.get("/ads").status_code == 200
    host_client.delete("/api/consent")
    assert_error(host_client.get("/ads", headers=JSON), 403, "consent_required")


def test_jinja_global(host_client: FlaskClient) -> None:
    assert host_client.get("/template").get_data(as_text=True) == "False True -"
    consent_id = host_client.post(
        "/api/consent", json={"action": "custom", "categories": ["statistics"]}
    ).get_json()["id"]
    assert host_client.get("/template").get_data(as_text=True) == f"True True {consent_id}"


def test_state_lives_in_the_app(host: tuple[Flask, ConsentUI], tmp_path: Path) -> None:
    app, ext = host
    state = app.extensions["consent_ui"]
    assert isinstance(state, State)
    assert ConsentUI.state(app) is state
    assert state.settings.database == str(tmp_path / "host.db")
    assert isinstance(state.store, SQLiteStore)
    assert state.policy.keys == ("essential", "statistics", "personalization", "marketing")
    assert not hasattr(ext, "app")


def test_the_host_app_serves_the_api(host_client: FlaskClient) -> None:
    assert host_client.get("/api/policy?lang=fr").get_json()["lang"] == "fr"
    assert host_client.get("/consent/banner").status_code == 200
    assert_error(host_client.get("/api/consent"), 404, "no_consent")


def test_the_host_keeps_its_own_error_pages(host_client: FlaskClient) -> None:
    response = host_client.get("/missing")
    assert response.status_code == 404
    assert "Not Found" in response.get_data(as_text=True), "Werkzeug's page, not ours"


def test_one_extension_serves_two_apps(tmp_path: Path) -> None:
    ext = ConsentUI()
    one = Flask("one", root_path=str(tmp_path / "one"))
    two = Flask("two", root_path=str(tmp_path / "two"))
    for app in (one, two):
        app.config.update(
            SECRET_KEY=f"the session key of {app.name}",
            CONSENT_SECRET_KEY=f"{SECRET}-of-{app.name}",
            CONSENT_DATABASE=str(tmp_path / f"{app.name}.db"),
        )
        ext.init_app(app)
    try:
        assert ConsentUI.state(one) is not ConsentUI.state(two)
        token = one.test_client().post("/api/consent", json={"action": "accept_all"}).get_json()
        with one.test_request_context("/", headers={"X-Consent-Token": token["token"]}):
            assert ext.has("marketing")
        with two.test_request_context("/", headers={"X-Consent-Token": token["token"]}):
            assert ext.current() is None, "another app's key"
        assert ConsentUI.state(one).store.count() == 1
        assert ConsentUI.state(two).store.count() == 0
    finally:
        for app in (one, two):
            ConsentUI.state(app).store.close()


# ---- the host's SECRET_KEY is the host's ----


def test_mounting_leaves_the_host_secret_key_alone(tmp_path: Path) -> None:
    app, _ = host_app(tmp_path, "init_app")
    try:
        assert app.config["SECRET_KEY"] == "the session key of host"
        client = app.test_client()
        page = client.get("/preferences").get_data(as_text=True)
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        chosen = client.post("/consent", data={"csrf_token": token, "action": "reject_all"})
        assert chosen.status_code == 303, "the form works with the host's own session"
        assert ConsentUI.state(app).store.count() == 1
    finally:
        ConsentUI.state(app).store.close()


def test_mounting_without_a_secret_key_stops_naming_it(tmp_path: Path) -> None:
    app = Flask("bare", root_path=str(tmp_path / "bare"))
    app.config.update(CONSENT_SECRET_KEY=SECRET, CONSENT_DATABASE=str(tmp_path / "bare.db"))
    with pytest.raises(ConfigError) as caught:
        ConsentUI(app)
    assert caught.value.key == "SECRET_KEY"
    assert "CSRF" in caught.value.problem
    assert app.config["SECRET_KEY"] is None, "never set behind the host's back"
    assert "consent_ui" not in app.extensions
    assert not (tmp_path / "bare.db").exists()


def test_the_standalone_service_signs_its_session_with_the_consent_keys(tmp_path: Path) -> None:
    old = "an older signing key of 32 characters"
    app = create_app(
        {
            "CONSENT_SECRET_KEY": SECRET,
            "CONSENT_SECRET_KEY_FALLBACKS": old,
            "CONSENT_DATABASE": str(tmp_path / "c.db"),
        }
    )
    try:
        assert app.config["SECRET_KEY"] == SECRET
        assert app.config["SECRET_KEY_FALLBACKS"] == [old]
    finally:
        ConsentUI.state(app).store.close()

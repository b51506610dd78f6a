"""Hypothesis over every route of the URL map (and any path at all), through the whole
WSGI stack of the standalone service behind one trusted proxy: never a 5xx, nothing
written on a 4xx, and every error in the one shape of the one error handler."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from consent_ui.consent import new_consent_id
from consent_ui.extension import ConsentUI
from tests.conftest import ALLOWED_ORIGIN
from tests.fuzz import strategies
from tests.fuzz.stats import EXAMPLES, count

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # a busy machine is slow, not wrong
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def rules_of(app: Flask) -> list[str]:
    """Each rule as "path endpoint" (one path may have a rule per method)."""
    return sorted(f"{rule.rule} {rule.endpoint}" for rule in app.url_map.iter_rules())


@pytest.fixture(scope="module")
def context(fuzz_app: Flask) -> strategies.Context:
    state = ConsentUI.state(fuzz_app)
    policy = state.policy
    optional = policy.optional_keys
    signed = [
        state.signer.sign(new_consent_id(), granted, policy)[0]
        for granted in (policy.keys, policy.required_keys, (*policy.required_keys, optional[0]))
    ]
    client = fuzz_app.test_client()
    page = client.get("/preferences").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    session = client.get_cookie("session")
    assert session is not None
    return strategies.Context(policy.keys, signed, ALLOWED_ORIGIN, (session.value, token))


def send(client: FlaskClient, request: strategies.Request) -> TestResponse:
    environ: dict[str, Any] = {"QUERY_STRING": request.query}
    if request.raw_path is not None:
        environ["PATH_INFO"] = request.raw_path
    headers = dict(request.headers)
    content_type = headers.pop("Content-Type", None)
    extra: dict[str, Any] = {}
    if request.body is not None:
        extra["data"] = request.body
        if content_type is not None:
            extra["content_type"] = content_type
    return client.open(
        request.path, method=request.method, headers=headers, environ_overrides=environ, **extra
    )


def check(app: Flask, request: strategies.Request) -> None:
    store = ConsentUI.state(app).store
    before = store.count()
    response = send(app.test_client(use_cookies=False), request)
    count("routes", response.status_code)
    described = f"{response.status_code} for {request.describe()}"
    assert response.status_code < 500, described
    if response.status_code < 400:
        return
    assert store.count() == before, f"written on a {described}"
    if request.method == "HEAD":
        return
    if response.mimetype == "application/json":
        body = response.get_json()
        assert set(body) == {"error"}, described
        assert set(body["error"]) == {"code", "message"}, described
        assert body["error"]["message"].strip(), described
    else:
        assert response.mimetype == "text/html", described
        assert 'data-error-code="' in response.get_data(as_text=True), described


def test_every_route_is_fuzzed(fuzz_app: Flask) -> None:
    """The parametrisation below is the URL map's: a new route joins by itself."""
    paths = {rule.split(" ", 1)[0] for rule in rules_of(fuzz_app)}
    assert {"/api/consent", "/consent", "/consent/banner", "/preferences"} <= paths


# The rules of the standalone service's map, read once at collection.
def _rules() -> list[str]:
    import os
    import tempfile
    from pathlib import Path
    from unittest import mock

    from consent_ui import create_app
    from tests.fuzz.stats import fuzz_config

    # At collection, before the suite clears the developer's CONSENT_* variables.
    own = {k: v for k, v in os.environ.items() if not k.startswith("CONSENT_")}
    with tempfile.TemporaryDirectory() as directory, mock.patch.dict(os.environ, own, clear=True):
        app = create_app(fuzz_config(Path(directory)))
        try:
            return rules_of(app)
        finally:
            ConsentUI.state(app).store.close()


@pytest.mark.parametrize("rule", _rules())
@FUZZ
@given(data=st.data())
def test_route(fuzz_app: Flask, context: strategies.Context, rule: str, data: Any) -> None:
    [found] = [r for r in fuzz_app.url_map.iter_rules() if f"{r.rule} {r.endpoint}" == rule]
    adapter = fuzz_app.url_map.bind("localhost")
    request = data.draw(strategies.requests_for(found, adapter.build, context))
    check(fuzz_app, request)


@FUZZ
@given(data=st.data())
def test_any_path(fuzz_app: Flask, context: strategies.Context, data: Any) -> None:
    check(fuzz_app, data.draw(strategies.raw_requests(context)))

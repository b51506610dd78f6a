"""Bodies are bounded on every consent-ui route that takes one: past 16 KB the answer
is a 413, before a byte is read when the length is declared, after at most one byte
more than the limit when it is not (chunked), and nothing is written. The routes come
from the URL map, so a blueprint the extension mounts later is covered by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from consent_ui import ConsentUI, create_app
from consent_ui.views.guard import MAX_BODY_BYTES
from tests.conftest import SECRET

FIFTY_MB = 50 * 1024 * 1024
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json",
    "text/plain",
]


class Body:
    """A ``wsgi.input`` of ``size`` bytes that counts what the app reads of it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:
        left = self.size - self.read_bytes
        count = left if size is None or size < 0 else min(size, left)
        self.read_bytes += count
        return b"a" * count

    def readline(self, size: int | None = -1) -> bytes:
        return self.read(65536 if size is None or size < 0 else min(size, 65536))


def body_routes(app: Flask) -> list[tuple[str, str]]:
    """Every (method, path) of consent-ui that may take a body."""
    ours = ConsentUI.state(app).blueprints
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".", 1)[0] not in ours or rule.arguments:
            continue
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            found.append((method, rule.rule))
    return found


def _app(tmp_path: Path, kind: str) -> Flask:
    if kind == "service":
        return create_app(
            {"CONSENT_SECRET_KEY": SECRET, "CONSENT_DATABASE": str(tmp_path / "c.db")}
        )
    app = Flask("host", root_path=str(tmp_path / "host"))
    app.config.update(
        SECRET_KEY="the session key of the host",
        CONSENT_SECRET_KEY=SECRET,
        CONSENT_DATABASE=str(tmp_path / "c.db"),
    )
    ConsentUI(app)
    return app


@pytest.fixture(params=["service", "host"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    app = _app(tmp_path, request.param)
    yield app
    ConsentUI.state(app).store.close()


def test_the_body_routes_are_found(app: Flask) -> None:
    assert {("POST", "/api/consent"), ("DELETE", "/api/consent"), ("POST", "/consent")} <= set(
        body_routes(app)
    )


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_a_declared_50mb_body_is_refused_unread(app: Flask, content_type: str) -> None:
    client = app.test_client()
    for method, path in body_routes(app):
        body = Body(FIFTY_MB)
        environ: dict[str, Any] = {
            "wsgi.input": body,
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(FIFTY_MB),
        }
        response = client.open(path, method=method, environ_overrides=environ)
        assert response.status_code == 413, (method, path, response.status_code)
        assert body.read_bytes == 0, (method, path)
        assert response.headers["Cache-Control"] == "no-store"
    assert ConsentUI.state(app).store.count() == 0


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_a_chunked_50mb_body_is_refused_after_the_limit(app: Flask, content_type: str) -> None:
    client = app.test_client()
    for method, path in body_routes(app):
        body = Body(FIFTY_MB)
        environ: dict[str, Any] = {
            "wsgi.input": body,
            "wsgi.input_terminated": True,  # as gunicorn says of a chunked body
            "CONTENT_TYPE": content_type,
            "HTTP_TRANSFER_ENCODING": "chunked",
        }
        response = client.open(path, method=method, environ_overrides=environ)
        assert response.status_code == 413, (method, path, response.status_code)
        assert body.read_bytes <= MAX_BODY_BYTES + 1, (method, path)
    assert ConsentUI.state(app).store.count() == 0


def test_the_form_error_is_a_localised_page(app: Flask) -> None:
    environ = {
        "wsgi.input": Body(FIFTY_MB),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(FIFTY_MB),
    }
    response = app.test_client().post("/consent?lang=fr", environ_overrides=environ)
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "Le corps de la requête est trop volumineux." in response.get_data(as_text=True)


def test_a_smaller_limit_of_the_host_is_kept(tmp_path: Path) -> None:
    app = _app(tmp_path, "host")
    app.config["MAX_CONTENT_LENGTH"] = 100
    try:
        response = app.test_client().post(
            "/api/consent", json={"action": "accept_all", "x": "y" * 200}
        )
        assert response.status_code == 413
    finally:
        ConsentUI.state(app).store.close()

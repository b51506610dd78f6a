"""The JSON API: record, read, withdraw and export a consent; describe the policy."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException, UnsupportedMediaType

from .. import edge, openapi
from ..consent import Choice, isoformat, utcnow
from ..errors import InvalidJSON, NoConsent
from ..extension import ConsentUI, consent_ui
from . import cors, errors, recording

#: When the Global Privacy Control support below was last changed (the spec's lastUpdate).
GPC_LAST_UPDATE = "2026-11-22"

bp = Blueprint("consent_api", __name__)
bp.register_error_handler(HTTPException, errors.handle)
bp.after_request(cors.add_headers)


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _json_body(*, optional: bool = False) -> Any:
    """The request's JSON object; 415 for another type (``guard`` bounds its size)."""
    if optional and not request.content_length and not request.headers.get("Transfer-Encoding"):
        return {}
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON decoder goes
        data = None
    if not isinstance(data, dict):
        raise InvalidJSON()
    return data


def _default_lang() -> str:
    return str(get_locale())


@bp.get("/api/policy")
def policy() -> Response:
    response = jsonify(ConsentUI.state().policy.to_json(_default_lang()))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


@bp.post("/api/consent")
def record() -> tuple[Response, int]:
    cors.check_write_origin()
    choice = Choice.parse(
        _json_body(),
        ConsentUI.state().policy,
        default_lang=_default_lang,
        gpc_signal=recording.gpc_signal(),
    )
    consent, token = recording.record(choice)
    response = jsonify({**consent.to_json(), "token": token})
    recording.set_cookie(response, token)
    return response, 201


def _no_consent() -> Response:
    """404, and the refused cookie (tampered, retired key, expired, outdated) cleared."""
    response = errors.handle(NoConsent())
    if ConsentUI.state().settings.cookie_name in request.cookies:
        recording.clear_cookie(response)
    return response


@bp.get("/api/consent")
def read() -> Response:
    consent = consent_ui.current()
    if consent is None:
        return _no_consent()
    return jsonify(consent.to_json())


@bp.delete("/api/consent")
def withdraw() -> Response:
    cors.check_write_origin()
    withdrawal = Choice.parse(
        {**_json_body(optional=True), "action": "withdraw"},
        ConsentUI.state().policy,
        default_lang=_default_lang,
        gpc_signal=recording.gpc_signal(),
        actions=("withdraw",),
    )
    consent = consent_ui.current()
    if consent is None:
        return _no_consent()
    now = isoformat(utcnow())
    recording.withdraw(consent, withdrawal, now)
    response = jsonify(id=consent.id, action="withdraw", withdrawn_at=now)
    recording.clear_cookie(response)
    return response


@bp.get("/api/consent/history")
def history() -> Response:
    consent = consent_ui.current()
    if consent is None:
        raise NoConsent()
    store = ConsentUI.state().store
    records = store.history(consent.id)
    hashes = sorted({r["text_hash"] for r in records if r["text_hash"]})
    return jsonify(
        id=consent.id,
        records=records,
        texts={h: store.text(h) for h in hashes},
    )


@bp.get("/api/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 description of this API; its server is this service's root."""
    state = ConsentUI.state()
    root = request.script_root or "/"
    document = state.cached(("openapi", root), lambda: openapi.document(state.policy, root))
    response = jsonify(document)
    response.headers["Cache-Control"] = "public, max-age=300"
    for header in edge.url_headers():
        response.vary.add(header)
    return response


@bp.get("/.well-known/gpc.json")
def gpc() -> Response:
    response = jsonify(gpc=True, lastUpdate=GPC_LAST_UPDATE)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response

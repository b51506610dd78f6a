"""The one error handler: it alone decides the shape of every error response.

JSON ``{"error": {"code", "message"}}`` for the API (and for clients that ask for
JSON), a localised HTML page otherwise.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from ..errors import ConsentUIError

#: The operator dashboard's blueprint: its errors keep its own page (no consent banner).
ADMIN = "consent_admin"

_HTTP_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def _http_message(status: int) -> str:
    messages = {
        400: gettext("The request is not valid."),
        403: gettext("You are not allowed to do this."),
        404: gettext("This page does not exist."),
        405: gettext("This method is not allowed here."),
        413: gettext("The request body is too large."),
        415: gettext("Send the request body as JSON (Content-Type: application/json)."),
        429: gettext("Too many requests. Please wait a moment and try again."),
    }
    if status >= 500:
        return gettext("Something went wrong on our side. Please try again later.")
    return messages.get(status, gettext("The request could not be processed."))


def wants_json() -> bool:
    if request.path == "/api" or request.path.startswith(("/api/", "/.well-known/")):
        return True
    if request.path.startswith("/admin/api/") or (
        request.blueprint == ADMIN and request.path.endswith(".json")
    ):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def handle(error: Exception) -> Response:
    if isinstance(error, ConsentUIError):
        status, code, message = error.status, error.code, error.message(gettext)
    elif isinstance(error, HTTPException):
        status = error.code or 500
        code, message = _HTTP_CODES.get(status, "http_error"), _http_message(status)
    else:
        status, code, message = 500, "internal_error", _http_message(500)
    if status >= 500:
        current_app.logger.error("%s: %s", code, error, exc_info=error)

    if wants_json():
        response = jsonify(error={"code": code, "message": message})
        response.status_code = status
    else:
        template = (
            "consent_ui/admin/error.html" if request.blueprint == ADMIN else "consent_ui/error.html"
        )
        page = render_template(template, status=status, code=code, message=message)
        response = make_response(page, status)
    if isinstance(error, HTTPException) and error.code == 405:
        response.headers["Allow"] = ", ".join(getattr(error, "valid_methods", None) or [])
    if status == 503:
        response.headers["Retry-After"] = "5"
    response.headers["Cache-Control"] = "no-store"
    return response

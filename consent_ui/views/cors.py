"""Cross-origin access for the origins of ``CONSENT_ALLOWED_ORIGINS``, and only those.

Reads get CORS headers (with credentials) for an allowed origin; writes that carry an
``Origin`` other than the server's own or an allowed one are refused before anything
is read or written.
"""

from __future__ import annotations

from flask import Response, current_app, request

from ..errors import OriginNotAllowed
from ..extension import TOKEN_HEADER

PREFLIGHT_MAX_AGE = 600


def own_origin() -> str:
    """This server's origin as a browser writes it in ``Origin``: the scheme and the
    ``Host`` as sent, in ASCII (``request.host_url`` would turn a punycoded
    internationalised name into Unicode, and refuse the server's own pages)."""
    return f"{request.scheme}://{request.host}".lower()


def is_allowed(origin: str) -> bool:
    settings = current_app.extensions["consent_ui"].settings
    return origin.lower() in settings.allowed_origins


def check_write_origin() -> None:
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() != own_origin() and not is_allowed(origin):
        raise OriginNotAllowed(origin)


def add_headers(response: Response) -> Response:
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin is None or not is_allowed(origin):
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Credentials"] = "true"
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE"
        response.headers["Access-Control-Allow-Headers"] = f"Content-Type, {TOKEN_HEADER}"
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response

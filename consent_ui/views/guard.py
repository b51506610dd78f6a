"""Protections of every consent-ui route, registered once, app-wide, by ``init_app``.

They apply to the routes of the blueprints the extension mounts (any it will mount
later included) and leave the host app's own routes alone: bodies are bounded before
anything reads them, and responses carry the security headers of ``csp.apply``.
"""

from __future__ import annotations

from flask import Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from .. import csp

#: Largest request body any consent-ui route reads (the JSON API's documented limit);
#: a larger one is a 413 before a byte of it is read.
MAX_BODY_BYTES = 16 * 1024


def is_ours() -> bool:
    return request.blueprint in current_app.extensions["consent_ui"].blueprints


def bound_body() -> None:
    """``before_request``: a body past the limit (or the app's own, if smaller) is a 413.

    A declared one is refused unread. A chunked one is read here, bounded: werkzeug
    stops reading it at the limit without an error, so one byte of slack is what tells
    "too large" from "fits".
    """
    if not is_ours():
        return
    limit = request.max_content_length
    limit = MAX_BODY_BYTES if limit is None else min(limit, MAX_BODY_BYTES)
    request.max_content_length = limit + 1
    if request.content_length is not None:
        if request.content_length > limit:
            raise RequestEntityTooLarge()
    elif "Transfer-Encoding" in request.headers and len(request.get_data()) > limit:
        raise RequestEntityTooLarge()


def secure_headers(response: Response) -> Response:
    """``after_request``: CSP, nosniff and referrer policy on consent-ui's responses."""
    return csp.apply(response) if is_ours() else response

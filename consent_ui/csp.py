"""The security headers of consent-ui's responses: a strict Content-Security-Policy,
``nosniff``, a referrer policy, and HSTS over HTTPS for the standalone service.

Scripts run only from this origin or with the request's nonce; no inline style. The
consent UI needs nothing more, and gated inline scripts keep working because the
snippet carries their nonce over.
"""

from __future__ import annotations

import secrets

from flask import Response, g, request

HSTS = "max-age=31536000"


def nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def hsts(response: Response) -> Response:
    """Over HTTPS, browsers keep to HTTPS for a year (the standalone service only: a
    host app's HSTS is the host's decision)."""
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def apply(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if response.mimetype == "text/html":
        # A view may let other origins frame it (the demo's stand-in for an embed).
        ancestors = " ".join(("'self'", *g.get("csp_frame_ancestors", ())))
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src 'self' 'nonce-{nonce()}'; style-src 'self'; "
            "img-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'none'; "
            f"form-action 'self'; frame-ancestors {ancestors}",
        )
    return response


#: The operator's pages: no script at all, this origin's stylesheet, never framed.
OPERATOR_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def operator(response: Response) -> Response:
    """What the dashboard's responses carry, whatever app mounts it (``apply`` keeps it)."""
    response.headers["Content-Security-Policy"] = OPERATOR_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response

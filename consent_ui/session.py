"""The standalone service's session cookie, which holds the forms' CSRF token.

Flask's own, made like the consent cookie: ``SameSite=Lax`` and ``Secure`` whenever the
request came over HTTPS (directly or through a trusted proxy), which a static
``SESSION_COOKIE_SECURE`` cannot say. An app that mounts the extension keeps its own.
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or request.is_secure


def configure(app: Flask) -> None:
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.session_interface = SessionInterface()

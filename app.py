"""WSGI entry point in a checkout: ``gunicorn app:app`` or ``flask --app app run``
(installed, ``gunicorn consent_ui.wsgi:app``: the same app)."""

from consent_ui.wsgi import app

__all__ = ["app"]

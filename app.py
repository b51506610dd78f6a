"""WSGI entry point: ``gunicorn app:app`` or ``flask --app app run``."""

from consent_ui import create_app

app = create_app()

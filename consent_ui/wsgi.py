"""The standalone service for any WSGI server, from anywhere the package is installed:
``gunicorn consent_ui.wsgi:app`` (``app.py`` exists only in a checkout).

Importing this module builds the app from the ``CONSENT_*`` environment: it is an entry
point, not a library module.
"""

from __future__ import annotations

from .factory import create_app

app = create_app()

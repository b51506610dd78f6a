"""The standalone service for any WSGI server, from anywhere the package is installed:
``gunicorn consent_ui.wsgi:app`` (``app.py`` in a checkout is the same).

Importing this module builds the app from the ``CONSENT_*`` environment: it is an entry
point, not a library module.
"""

from __future__ import annotations

import sys

from .errors import ConsentUIError
from .factory import create_app

try:
    app = create_app()
except ConsentUIError as e:
    # A setting to fix or a database out of reach: one line, not a traceback. Exit
    # status 4 is gunicorn's "App failed to load": its master stops instead of
    # starting workers again and again.
    print(f"consent-ui: {e}", file=sys.stderr)
    sys.exit(4)

"""WSGI entry point: ``gunicorn app:app`` or ``flask --app app run``."""

import sys

from consent_ui import create_app
from consent_ui.errors import ConsentUIError

try:
    app = create_app()
except ConsentUIError as e:
    # A setting to fix or a database out of reach: one line, not a traceback. Exit
    # status 4 is gunicorn's "App failed to load": its master stops instead of
    # starting workers again and again.
    print(f"consent-ui: {e}", file=sys.stderr)
    sys.exit(4)

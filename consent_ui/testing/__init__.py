"""The QA kit: a pytest plugin and Playwright page objects for teams testing consent.

    pip install "consent-ui[qa]"

brings pytest, Playwright and pytest-playwright; the plugin (``plugin``) loads through
the ``pytest11`` entry point ``consent_ui`` and gives the fixtures ``consent_server``,
``consent``, ``consent_state`` and ``trackers`` and the marker
``@pytest.mark.consent(...)``. The page objects (``pages``) drive the banner and the
preferences through the public selectors only.
"""

from __future__ import annotations

from .pages import ConsentBanner, PreferencesDialog
from .presets import ConsentPresets, ConsentState, consent_states
from .server import ConsentServer, ConsentServerError, Preset
from .trackers import Tracker, Trackers

__all__ = [
    "ConsentBanner",
    "ConsentPresets",
    "ConsentServer",
    "ConsentServerError",
    "ConsentState",
    "PreferencesDialog",
    "Preset",
    "Tracker",
    "Trackers",
    "consent_states",
]

"""consent-ui: a self-hosted consent management platform for Flask."""

from __future__ import annotations

from .consent import Consent
from .extension import ConsentUI, consent_ui
from .factory import create_app

__all__ = ["Consent", "ConsentUI", "consent_ui", "create_app"]
__version__ = "0.1.0"

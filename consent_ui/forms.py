"""The plain HTML consent form: flask-wtf checks its CSRF token, ``Choice`` the rest."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

#: Surfaces a plain form can come from.
FORM_SURFACES = ("banner", "preferences")


class ChoiceForm(FlaskForm):
    """Only the CSRF token is a WTForms field: the choice itself is parsed by ``Choice``."""


def choice_data(form: MultiDict[str, str], home: str = "/") -> dict[str, Any]:
    """Shape posted form fields like the JSON body of ``POST /api/consent``."""
    surface = form.get("surface")
    return {
        "action": form.get("action"),
        "categories": form.getlist("category"),
        "surface": surface if surface in FORM_SURFACES else "banner",
        "page": urlsplit(safe_next(form.get("page") or form.get("next"), home)).path,
        "lang": form.get("lang") or None,
    }


def safe_next(target: str | None, home: str = "/") -> str:
    """A same-origin path to go back to; anything else (another host, a scheme,
    ``//host``, backslashes, control characters) falls back to ``home`` (the
    service's root, its path prefix included)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return home
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return home
    return target

"""Rendering the consent UI (banner + preferences dialog) and hashing what it shows.

The same template serves pages this server renders, the fragment other pages fetch
and the text hash of the log, so the hash proves the exact words a visitor saw.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from babel.lists import format_list
from flask import render_template, request, url_for
from flask_babel import force_locale, format_timedelta, gettext
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ..consent import Consent
from ..extension import ConsentUI

TEMPLATE = "consent_ui/_ui.html"
#: The parts of the consent UI, each a surface whose exact text the log can prove.
PARTS = ("banner", "preferences")


def context(
    lang: str,
    *,
    gpc: bool,
    consent: Consent | None = None,
    csrf: bool = False,
    next_url: str = "/",
    external: bool = False,
    snippet: bool = False,
) -> dict[str, Any]:
    """What the banner and preferences templates need, in ``lang``.

    ``csrf`` adds the form token (pages this server renders); the fragment for other
    pages goes without, since only the snippet, which posts JSON, ever shows it, and
    with ``external`` links, since it lands on another origin. ``snippet`` is the
    markup consent.js carries: like ``external``, but with links from the service's
    root (``/cookies``), which the snippet puts behind its own base, path included; a
    long-cached script must not hold the host or prefix of whoever asked first.
    """
    state = ConsentUI.state()
    policy = state.policy
    optional = [c for c in policy.categories if not c.required]

    def labels(categories: list) -> str:
        return format_list([c.label(lang).lower() for c in categories], locale=lang)

    def link(endpoint: str, **values: Any) -> str:
        if snippet:
            return url_for(endpoint, **values).removeprefix(request.script_root)
        return url_for(endpoint, _external=external, **values)

    def site_url(url: str) -> str:
        """A policy's link: relative ones are this service's pages, under its prefix (the
        snippet's copy keeps them from the root, as its other links)."""
        if snippet or not url.startswith("/") or url.startswith("//"):
            return url
        return (request.url_root.rstrip("/") if external else request.script_root) + url

    return {
        "lang": lang,
        "policy": policy,
        "gpc": gpc,
        "consent": consent,
        "csrf_token": generate_csrf() if csrf else None,
        "next_url": next_url,
        "page": urlsplit(next_url).path,
        "purposes": labels(optional),
        "gpc_purposes": labels([c for c in optional if c.gpc]),
        "keep": format_timedelta(timedelta(days=state.settings.max_age_days), threshold=1.0),
        "external": external or snippet,
        "snippet": snippet,
        "link": link,
        "site_url": site_url,
        "in_dialog": True,
    }


def render(lang: str, parts: tuple[str, ...] = PARTS, **options: Any) -> Markup:
    """The consent UI in ``lang``: the banner and/or the preferences dialog."""
    with force_locale(lang):
        # Jinja has already escaped everything it rendered.
        return Markup(render_template(TEMPLATE, parts=parts, **context(lang, **options)))  # noqa: S704


def for_snippet(lang: str, *, gpc: bool) -> str:
    """The banner as consent.js carries it, so that a first visit needs no second
    request: links from the service's root, and as few bytes as HTML allows (no
    spaces between tags, attribute values unquoted where they may be, else in single
    quotes, which a JSON string carries without escapes). Only markup changes; the
    words are those ``shown_text`` hashes."""
    html = str(render(lang, ("banner",), gpc=gpc, snippet=True))
    return _ATTRIBUTE.sub(_requote, _BETWEEN_TAGS.sub("><", html))


_BETWEEN_TAGS = re.compile(r">\s+<")
#: An attribute in a tag (Jinja escapes ``<``, ``>`` and ``"`` in text and values).
_ATTRIBUTE = re.compile(r'(?<=[\s<])([\w-]+)="([^"<>]*)"(?=[^<>]*>)')
_UNQUOTED = re.compile(r"[\w./:-]+")


def _requote(match: re.Match[str]) -> str:
    name, value = match.groups()
    if _UNQUOTED.fullmatch(value):
        return f"{name}={value}"
    return f"{name}='{value}'" if "'" not in value else match.group(0)


def shown_text(surface: str, lang: str, *, gpc: bool) -> tuple[str, str] | None:
    """The SHA-256 and the visible text of a surface, as the log keeps them.

    None for the ``api`` surface: a page's own buttons show its own words.
    """

    def build() -> tuple[str, str]:
        if surface == "placeholder":
            with force_locale(lang):
                text = " ".join(embed_texts().values())
        else:
            # A space after each tag keeps "Reject all" and "Accept all" apart.
            html = str(render(lang, (surface,), gpc=gpc)).replace(">", "> ")
            text = " ".join(Markup(html).striptags().split())  # noqa: S704 - our own HTML
        return hashlib.sha256(text.encode()).hexdigest(), text

    if surface not in (*PARTS, "placeholder"):
        return None
    return ConsentUI.state().cached(("text", surface, lang, gpc), build)


def embed_texts() -> dict[str, str]:
    """The placeholder that stands in for a blocked embed (the snippet fills it in)."""
    return {
        "blocked": gettext(
            "This content from %(service)s is blocked because it uses %(category)s cookies."
        ),
        "allow": gettext("Allow %(category)s cookies"),
    }

"""What other pages load: the snippet, its stylesheet and the banner fragment.

The snippet and stylesheet are minified once per process, carry the policy data the
snippet needs (never hand-copied constants), and are served gzip-compressed with an
ETag. ``?v=`` URLs (what ``consent_ui.head()`` writes) are cached for a year.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import rcssmin
import zopfli.gzip
from flask import Blueprint, Response, request
from flask_babel import force_locale, get_locale
from werkzeug.exceptions import HTTPException

from .. import edge
from ..extension import TOKEN_HEADER, ConsentUI, consent_ui
from ..minify import minify
from ..policy import CONSENT_MODE_TYPES, LANGUAGES, Policy
from ..resources import STATIC
from . import banner, cors, errors, recording

#: Where the server writes the snippet's data into consent.js.
CONFIG_MARKER = "/*@config*/{}"
#: Bytes of gzip a first visit may load (DESIGN.md, "Quality bars": 5 KB, strictly).
BUDGET = 5000
DAY = 24 * 3600

bp = Blueprint("consent_embed", __name__)
bp.register_error_handler(HTTPException, errors.handle)


@bp.after_request
def _preflight(response: Response) -> Response:
    """The dialog of a visitor who chose is fetched with the token header, which
    makes the browser ask first (Flask answers OPTIONS itself, without the view)."""
    return cors.add_headers(response) if request.method == "OPTIONS" else response


@dataclass
class Asset:
    body: bytes
    etag: str
    mimetype: str

    @classmethod
    def of(cls, text: str, mimetype: str) -> Asset:
        body = text.encode()
        return cls(body=body, etag=hashlib.sha256(body).hexdigest()[:20], mimetype=mimetype)

    @cached_property
    def gzipped(self) -> bytes:
        """Compressed once, when first asked for, with zopfli: plain gzip for every
        client, some 2 % smaller than zlib's best, which counts on a 5 KB budget."""
        return zopfli.gzip.compress(self.body)

    def response(self, *, max_age: int) -> Response:
        response = Response(mimetype=self.mimetype)
        response.set_etag(self.etag)
        response.vary.add("Accept-Encoding")
        response.cache_control.public = True
        response.cache_control.max_age = max_age
        if request.if_none_match.contains(self.etag):
            response.status_code = 304
            return response
        if "gzip" in request.accept_encodings:
            response.set_data(self.gzipped)
            response.content_encoding = "gzip"
        else:
            response.set_data(self.body)
        return response


def snippet_config(policy: Policy, *, standalone: bool = True, gpc: bool = False) -> dict[str, Any]:
    """The policy data and texts the snippet needs, in both languages; no more (its
    gzip bytes count toward the first-visit budget).

    ``standalone`` (pages this server does not render) adds the banner's markup and
    stylesheet, so that the banner shows as soon as consent.js has run, with no
    second round trip. ``gpc`` says the request for consent.js carried ``Sec-GPC: 1``,
    which the snippet cannot see by itself.
    """
    state = ConsentUI.state()
    texts = {}
    for lang in LANGUAGES:
        with force_locale(lang):
            texts[lang] = {
                # In the middle of a sentence, as the banner writes them too.
                "labels": {
                    c.key: c.label(lang).lower() for c in policy.categories if not c.required
                },
                **banner.embed_texts(),
            }
            if standalone:
                texts[lang]["banner"] = banner.for_snippet(lang, gpc=gpc)
    covered = {m for c in policy.categories for m in c.consent_mode}
    config: dict[str, Any] = {
        "revision": policy.revision,
        "lang": state.settings.default_locale,
        "cookie": state.settings.cookie_name,
        "maxAge": state.settings.max_age_days * DAY,
        "header": TOKEN_HEADER,
        # Consent Mode types no category covers: denied in the default like the rest.
        "gcm": policy.google_consent_mode
        and {m: "denied" for m in CONSENT_MODE_TYPES if m not in covered},
        # Required categories are never withdrawn: no cookies to delete for them.
        "categories": [
            {"key": c.key, "required": True, "modes": list(c.consent_mode)}
            if c.required
            else {
                "key": c.key,
                "modes": list(c.consent_mode),
                "cookies": [d.pattern for d in c.cookies],
                "storage": [d.pattern for d in c.storage],
            }
            for c in policy.categories
        ],
        "texts": texts,
    }
    if standalone:
        config["css"] = stylesheet().body.decode()
        if gpc:
            config["gpc"] = True
    return config


def script(*, standalone: bool = True, gpc: bool = False) -> Asset:
    """consent.js: ``standalone`` for pages this server does not render (it carries
    the banner), else for pages that render the banner themselves (``head()``)."""
    gpc = gpc and standalone

    def build() -> Asset:
        source = (STATIC / "js" / "consent.js").read_text()
        if source.count(CONFIG_MARKER) != 1:
            raise RuntimeError(f"consent.js must hold {CONFIG_MARKER} exactly once")
        data = snippet_config(ConsentUI.state().policy, standalone=standalone, gpc=gpc)
        return Asset.of(minify(source.replace(CONFIG_MARKER, js_literal(data))), "text/javascript")

    return ConsentUI.state().cached(("consent.js", standalone, gpc), build)


_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


def js_literal(value: Any) -> str:
    """``value`` as a JavaScript literal: JSON, but for object keys that are names,
    which go unquoted (a few dozen bytes of the budget)."""
    if isinstance(value, dict):
        items = (
            f"{k if _IDENTIFIER.fullmatch(k) else json.dumps(k)}:{js_literal(v)}"
            for k, v in value.items()
        )
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(js_literal, value)) + "]"
    return json.dumps(value, ensure_ascii=False)


#: The stylesheets: the banner's (every first visit), the dialog's (once it opens) and
#: the consent pages' layout (``/preferences``, ``/cookies``…, in any app).
STYLESHEETS = ("consent", "consent-preferences", "consent-page")


def stylesheet(name: str = "consent") -> Asset:
    def build() -> Asset:
        return Asset.of(rcssmin.cssmin((STATIC / "css" / f"{name}.css").read_text()), "text/css")

    return ConsentUI.state().cached(f"{name}.css", build)


def _max_age() -> int:
    return 365 * DAY if request.args.get("v") else DAY


#: ``/consent.js?ui=page``: the snippet for a page that renders the banner itself.
PAGE_UI = "page"


@bp.get("/consent.js")
def consent_js() -> Response:
    """The snippet. Unless the page renders the banner (``?ui=page``), it carries the
    banner and differs with the Global Privacy Control header, which it then says."""
    if request.args.get("ui") == PAGE_UI:
        return script(standalone=False).response(max_age=_max_age())
    response = script(gpc=recording.gpc_signal()).response(max_age=_max_age())
    response.vary.add("Sec-GPC")
    return response


@bp.get(f"/<any({', '.join(map(repr, STYLESHEETS))}):name>.css")
def consent_css(name: str) -> Response:
    return stylesheet(name).response(max_age=_max_age())


@bp.get("/consent/banner")
def fragment() -> Response:
    """The banner and dialog for a page this server does not render; links are absolute.

    ``?part=banner`` or ``?part=preferences`` asks for one of the two (the snippet
    fetches the dialog only when it is opened). ``?gpc=1`` is how the snippet reports
    ``navigator.globalPrivacyControl`` when the browser did not send the header.
    """
    lang = str(get_locale())
    gpc = recording.gpc_signal() or request.args.get("gpc") == "1"
    part = request.args.get("part")
    parts = (part,) if part in banner.PARTS else banner.PARTS
    consent = consent_ui.current() if "preferences" in parts else None
    if consent is not None:
        # The dialog of a visitor who chose shows their choice, id and date.
        html = banner.render(lang, parts, gpc=gpc, consent=consent, external=True)
        response = Response(str(html), mimetype="text/html")
        response.headers["Cache-Control"] = "private, no-store"
        return cors.add_headers(response)
    state = ConsentUI.state()
    asset = state.cached(
        ("fragment", lang, gpc, parts, request.url_root),
        lambda: Asset.of(str(banner.render(lang, parts, gpc=gpc, external=True)), "text/html"),
    )
    response = asset.response(max_age=600)
    # A token (cookie or header) turns the dialog into the visitor's own, uncached. Its
    # links are absolute, built from the headers that say where the request was sent:
    # a shared cache must keep one copy per value (else one client poisons it for all).
    for header in (
        "Accept-Language",
        "Cookie",
        "Sec-GPC",
        TOKEN_HEADER,
        *edge.url_headers(),
    ):
        response.vary.add(header)
    return cors.add_headers(response)

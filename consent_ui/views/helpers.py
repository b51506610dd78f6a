"""``consent_ui`` in templates: the consent questions plus what a page needs to show
the consent UI (its assets, the banner, the "Cookie management" link)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request, url_for
from flask_babel import get_locale, gettext
from markupsafe import Markup

from ..consent import Consent
from ..extension import ConsentUI
from ..forms import safe_next
from . import banner, embed, recording


def home() -> str:
    """The root of the service, under the path prefix of its proxy (if any)."""
    return f"{request.script_root}/"


def here() -> str:
    """This page's path (prefix included) and query, to come back to after a choice;
    home for a path that is not a safe one to go back to (``//host``…)."""
    path = request.script_root + request.path
    query = request.query_string.decode("latin-1")
    return safe_next(f"{path}?{query}" if query else path, home())


class TemplateHelpers:
    def __init__(self, extension: ConsentUI) -> None:
        self._extension = extension

    def current(self) -> Consent | None:
        return self._extension.current()

    def has(self, key: str) -> bool:
        return self._extension.has(key)

    def locale(self) -> str:
        return str(get_locale())

    def site_name(self) -> str:
        controller = ConsentUI.state().policy.controller
        return controller.name if controller else request.host

    def switch_url(self, lang: str) -> str:
        """This page in another language (the ``en • fr`` switch)."""
        args = {k: v for k, v in request.args.items() if k != "lang"}
        return f"{request.script_root}{request.path}?{urlencode({**args, 'lang': lang})}"

    def home(self) -> str:
        return home()

    def head(self, extra: str | None = None) -> Markup:
        """The stylesheet and the deferred snippet, with versioned (long-cached) URLs;
        ``head("preferences")`` is the dialog's stylesheet, for a page that shows it.

        The page renders the banner itself (``banner()``, visible at first paint), so
        its snippet is the one that does not carry it (``?ui=page``)."""
        if extra is not None:
            name = f"consent-{extra}"
            href = url_for("consent_embed.consent_css", name=name, v=embed.stylesheet(name).etag)
            return Markup('<link rel="stylesheet" href="{}">').format(href)
        css = url_for("consent_embed.consent_css", name="consent", v=embed.stylesheet().etag)
        js = url_for(
            "consent_embed.consent_js",
            v=embed.script(standalone=False).etag,
            ui=embed.PAGE_UI,
        )
        return Markup('<link rel="stylesheet" href="{}">\n<script src="{}" defer></script>').format(
            css, js
        )

    def banner(self) -> Markup:
        """The banner and dialog for a visitor without a valid choice, else nothing.

        ``/preferences`` is the choice itself, so it never shows the banner.
        """
        if self.current() is not None or request.endpoint == "consent_pages.preferences":
            return Markup("")
        return banner.render(
            self.locale(), ("banner",), gpc=recording.gpc_signal(), csrf=True, next_url=here()
        )

    def manage_link(self) -> Markup:
        """The "Cookie management" link: the dialog with JavaScript, the page without."""
        href = url_for("consent_pages.preferences", next=here())
        return Markup('<a href="{}" data-consent-open>{}</a>').format(
            href, gettext("Cookie management")
        )

"""Which language a request gets, and the catalogues that translate it.

Order: ``?lang=`` → the ``lang`` cookie set by the ``en • fr`` switch →
``Accept-Language`` → ``CONSENT_DEFAULT_LOCALE``. Outside any request (the scanner's
reports, made at the command line), ``translating(lang)`` says which; at the command
line, the terminal's locale (``terminal_language``) is the default.
"""

from __future__ import annotations

import io
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import click
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, current_app, request
from flask_babel import Babel, force_locale, gettext

from .policy import LANGUAGES
from .resources import TRANSLATIONS

log = logging.getLogger("consent_ui")

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def negotiate(asked: str | None, remembered: str | None, accepted: list[str], default: str) -> str:
    """The language to use; pure, so the order is tested without a request."""
    for candidate in (asked, remembered):
        if candidate in LANGUAGES:
            return candidate
    for tag in accepted:
        primary = tag.split("-", 1)[0].split("_", 1)[0].lower()
        if primary in LANGUAGES:
            return primary
    return default


def terminal_language(environ: Mapping[str, str] = os.environ) -> str:
    """The language of the command line, from the locale as gettext reads it
    (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``: the first set): ``fr`` for
    ``fr_CM.UTF-8``, English for any other or none."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            primary = re.split(r"[_.@]", value.split(":", 1)[0], maxsplit=1)[0].lower()
            return primary if primary in LANGUAGES else LANGUAGES[0]
    return LANGUAGES[0]


def select_locale() -> str:
    settings = current_app.extensions["consent_ui"].settings
    return negotiate(
        request.args.get("lang"),
        request.cookies.get(LANG_COOKIE),
        [lang for lang, quality in request.accept_languages if quality > 0],
        settings.default_locale,
    )


def remember_choice(response: Response) -> Response:
    """Keep a language picked with ``?lang=`` in the (essential) ``lang`` cookie."""
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(
            LANG_COOKIE,
            asked,
            max_age=LANG_COOKIE_MAX_AGE,
            path="/",
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response


def compile_catalogues(directory: Path) -> list[Path]:
    """Compile every ``.po`` whose ``.mo`` is missing or stale; returns what was written.

    Start-up calls this, so a forgotten compile cannot show English to a French visitor.
    Untranslated or fuzzy entries are logged (the test suite refuses them).
    """
    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
        if missing:
            log.warning("%s: %d untranslated or fuzzy messages", po, len(missing))
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        data = buffer.getvalue()
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.read_bytes() == data:
            continue
        fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=".messages-", suffix=".mo")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, mo)
        written.append(mo)
        log.info("compiled %s", mo)
    return written


@cache
def _catalogues() -> Flask:
    """A bare app whose only job is flask-babel on consent-ui's catalogues."""
    compile_catalogues(TRANSLATIONS)
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(TRANSLATIONS))
    return app


@contextmanager
def translating(lang: str) -> Iterator[None]:
    """flask-babel's ``gettext`` in ``lang`` where no request says which: the same
    catalogues and ``force_locale`` as the banner's text hashing, in an app context of
    their own, so that it works without any app and inside a host's (``flask consent
    scan`` pushes one, whose locale selector needs a request)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (one of {', '.join(LANGUAGES)})")
    with _catalogues().app_context(), force_locale(lang):
        yield


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues without translating it here: the command
    line's help, which ``TerminalHelp`` translates when it is shown."""
    return message


class TerminalHelp:
    """For a click command or group: its help, its options' and (for a group) its
    commands' (each marked with ``N_``), shown in the terminal's language. Click's own
    words ("Usage:", "Options") stay English."""

    def get_help(self, ctx: click.Context) -> str:
        with translating(terminal_language()), _translated(_shown_with(self, ctx)):
            return super().get_help(ctx)  # type: ignore[misc]


class TerminalCommand(TerminalHelp, click.Command):
    """A click command whose help is shown in the terminal's language."""


def _shown_with(command: Any, ctx: click.Context) -> list[Any]:
    """The command, its options, and a group's commands: whose help the page shows."""
    shown = [command, *(p for p in command.params if isinstance(p, click.Option))]
    if isinstance(command, click.Group):
        shown += [command.get_command(ctx, name) for name in command.list_commands(ctx)]
    return shown


@contextmanager
def _translated(objects: list[Any]) -> Iterator[None]:
    """Their ``help`` (and an option's ``show_default`` text) translated, for a while."""
    saved = []
    for obj in objects:
        for attr in ("help", "show_default"):
            value = getattr(obj, attr, None)
            if isinstance(value, str) and value:
                saved.append((obj, attr, value))
                setattr(obj, attr, gettext(value))
    try:
        yield
    finally:
        for obj, attr, value in saved:
            setattr(obj, attr, value)

"""Which language a request and the command line get (``consent_ui.i18n``)."""

from __future__ import annotations

import pytest

from consent_ui.i18n import negotiate, terminal_language


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({}, "en"),
        ({"LANG": "fr_CM.UTF-8"}, "fr"),
        ({"LANG": "fr"}, "fr"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": ""}, "en"),
        ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}, "fr"),
        ({"LC_MESSAGES": "fr_FR.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "en_US.UTF-8", "LANGUAGE": "fr_CA:en"}, "fr"),
        ({"LANGUAGE": "", "LANG": "fr_BE@euro"}, "fr"),
        ({"LANG": "fr@euro"}, "fr"),
    ],
)
def test_the_terminals_language_is_read_as_gettext_does(environ: dict, lang: str) -> None:
    assert terminal_language(environ) == lang


@pytest.mark.parametrize(
    ("asked", "remembered", "accepted", "default", "lang"),
    [
        ("fr", "en", ["en"], "en", "fr"),  # ?lang= first
        ("de", "fr", ["en"], "en", "fr"),  # then the cookie
        (None, None, ["de-DE", "fr-CM", "en"], "en", "fr"),  # then Accept-Language
        (None, None, ["de"], "en", "en"),  # then the default
        (None, None, [], "fr", "fr"),
    ],
)
def test_a_requests_language(
    asked: str | None, remembered: str | None, accepted: list[str], default: str, lang: str
) -> None:
    assert negotiate(asked, remembered, accepted, default) == lang

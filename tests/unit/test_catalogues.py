"""The translation catalogues: complete, in sync with the sources, safe to format, and
really served; and the bilingual texts of the built-in policy.

A string added to a template or a view without ``python3 dev.py messages`` and a French
translation fails here, naming the string.
"""

from __future__ import annotations

import gettext
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import flask_babel
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from consent_ui.i18n import compile_catalogues, translating
from consent_ui.policy import LANGUAGES, Text, load_policy
from consent_ui.resources import TRANSLATIONS

ROOT = Path(__file__).resolve().parents[2]
POT = TRANSLATIONS / "messages.pot"
#: What ``dev.py messages`` extracts (``-k _ -k gettext -k ngettext:1,2 -k lazy_gettext -k N_``).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "N_": None}
PLURAL_FORMS = {"en": "nplurals=2; plural=(n != 1);", "fr": "nplurals=2; plural=(n > 1);"}
#: Every %-format directive, named or not, so a stray "%" in a translation shows up too
#: (Jinja's newstyle gettext always applies ``%``, even without variables).
DIRECTIVE = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?(?:.|$)", re.DOTALL)

MessageId = str | tuple[str, ...]


def load(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def ids(catalog: Catalog) -> set[MessageId]:
    return {m.id for m in catalog if m.id}


def forms(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return value
    return (value or "",)


def directives(text: str) -> set[str]:
    return set(DIRECTIVE.findall(text))


def short(msgid: MessageId) -> str:
    text = msgid[0] if isinstance(msgid, tuple) else msgid
    return text if len(text) <= 40 else text[:37] + "..."


@pytest.fixture(scope="module", params=LANGUAGES)
def catalog(request: pytest.FixtureRequest) -> Catalog:
    return load(TRANSLATIONS / request.param / "LC_MESSAGES" / "messages.po")


def messages(catalog: Catalog) -> Iterator[Message]:
    return (m for m in catalog if m.id)


def extracted() -> set[MessageId]:
    """The msgids of the sources, extracted as ``babel.cfg`` says."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, str(ROOT / "babel.cfg"))
    found: set[MessageId] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message)
    return found


def test_the_header_names_the_language_and_its_plural_rule(catalog: Catalog) -> None:
    assert str(catalog.locale) in LANGUAGES
    assert catalog.plural_forms == PLURAL_FORMS[str(catalog.locale)]
    assert not catalog.fuzzy


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_catalogue_has_the_template_msgids(lang: str) -> None:
    template = ids(load(POT))
    found = ids(load(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"))
    assert sorted(map(short, template - found)) == [], f"missing in {lang}; run dev.py messages"
    assert sorted(map(short, found - template)) == [], f"not in the template ({lang})"


def test_the_template_holds_what_the_sources_say() -> None:
    """Fails when a string was added, changed or removed without ``dev.py messages``."""
    sources, template = extracted(), ids(load(POT))
    assert len(sources) > 50  # the extraction really ran over templates and code
    assert sorted(map(str, sources - template)) == [], "new strings: run dev.py messages"
    assert sorted(map(str, template - sources)) == [], "stale strings: run dev.py messages"


def test_no_message_is_fuzzy_or_untranslated(catalog: Catalog) -> None:
    bad = [
        short(m.id)
        for m in messages(catalog)
        if m.fuzzy
        or len(forms(m.string)) != (catalog.num_plurals if m.pluralizable else 1)
        or not all(s.strip() for s in forms(m.string))
    ]
    assert bad == []


def test_english_translations_are_the_msgids() -> None:
    catalog = load(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po")
    differ = [short(m.id) for m in messages(catalog) if forms(m.string) != forms(m.id)]
    assert differ == []


def test_translations_keep_every_placeholder(catalog: Catalog) -> None:
    """A lost, renamed or stray ``%(name)s`` raises KeyError or ValueError at render time."""
    broken = [
        (short(m.id), s)
        for m in messages(catalog)
        for s in forms(m.string)
        if directives(s) != directives(forms(m.id)[-1])
    ]
    assert broken == []


@pytest.mark.parametrize(
    ("msgid", "french"),
    [
        ("Cookie management", "Gestion des cookies"),
        ("Cookie policy", "Politique de cookies"),
        ("Accept all", "Tout accepter"),
        ("Reject all", "Tout refuser"),
        ("Customise", "Personnaliser"),
        ("Continue without accepting", "Continuer sans accepter"),
        ("Save my choices", "Enregistrer mes choix"),
    ],
)
def test_french_uses_the_agreed_wording(msgid: str, french: str) -> None:
    """The customer's own words ("Gestion des cookies") and the usual CMP buttons."""
    catalog = load(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po")
    assert catalog[msgid].string == french


def test_french_typography_is_consistent() -> None:
    """French quotes are « » and apostrophes U+2019, as in the rest of the catalogue (a
    command-line example, ``--switch='…'``, keeps the shell's quotes)."""
    catalog = load(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po")
    odd = [
        s
        for m in messages(catalog)
        for s in forms(m.string)
        if re.search("['\"“”]", re.sub(r"--[\w-]+='[^']*'", "", s))
    ]
    assert odd == []


def test_catalogues_compile_and_translate(tmp_path: Path) -> None:
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))

    written = compile_catalogues(copy)

    assert sorted(written) == [copy / lang / "LC_MESSAGES" / "messages.mo" for lang in LANGUAGES]
    assert compile_catalogues(copy) == []  # nothing stale the second time
    catalogs = {}
    for lang in LANGUAGES:
        with (copy / lang / "LC_MESSAGES" / "messages.mo").open("rb") as f:
            catalogs[lang] = gettext.GNUTranslations(f)
    ads = ("%(num)d ad for “%(query)s”", "%(num)d ads for “%(query)s”")
    assert catalogs["fr"].gettext("Reject all") == "Tout refuser"
    assert catalogs["fr"].ngettext(*ads, 0) == "%(num)d annonce pour « %(query)s »"
    assert catalogs["fr"].ngettext(*ads, 2) == "%(num)d annonces pour « %(query)s »"
    assert catalogs["en"].gettext("Reject all") == "Reject all"
    assert catalogs["en"].ngettext(*ads, 0) == ads[1]


def test_translating_needs_no_request_and_no_app(app: Flask) -> None:
    """The command line's way to the catalogues (the scanner's reports)."""
    ads = ("%(num)d ad for “%(query)s”", "%(num)d ads for “%(query)s”")
    with translating("fr"):
        assert flask_babel.gettext("Reject all") == "Tout refuser"
        assert flask_babel.ngettext(*ads, 2, query="x") == "2 annonces pour « x »"
    with translating("en"):
        assert flask_babel.gettext("Reject all") == "Reject all"
        assert flask_babel.ngettext(*ads, 1, query="x") == "1 ad for “x”"
    # Inside a host's app context (``flask consent …`` pushes one), whose locale
    # selector reads a request that is not there.
    with app.app_context():
        with pytest.raises(RuntimeError, match="request context"):
            flask_babel.gettext("Reject all")
        with translating("fr"):
            assert flask_babel.gettext("Reject all") == "Tout refuser"
    with pytest.raises(ValueError, match="unknown language 'de'"), translating("de"):
        pass


SERVED = {
    "en": {
        "buttons": ("Reject all", "Accept all"),
        "title": "Cookie policy",
        "not": "Tout refuser",
    },
    "fr": {
        "buttons": ("Tout refuser", "Tout accepter"),
        "title": "Politique de cookies",
        "not": "Reject all",
    },
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_banner_is_served_in_the_language_asked(client: FlaskClient, lang: str) -> None:
    response = client.get(f"/consent/banner?part=banner&lang={lang}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'lang="{lang}"' in html
    for button in SERVED[lang]["buttons"]:
        assert f">{button}</button>" in html
    assert SERVED[lang]["not"] not in html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_pages_are_served_in_the_language_asked(client: FlaskClient, lang: str) -> None:
    response = client.get(f"/cookies?lang={lang}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert f"<title>{SERVED[lang]['title']} · " in html
    assert f"<h1>{SERVED[lang]['title']}</h1>" in html
    assert SERVED[lang]["not"] not in html


def policy_texts() -> Iterator[tuple[str, Text]]:
    """Every bilingual text of the built-in policy, named by its place in the file."""
    for c in load_policy().categories:
        where = f"categories.{c.key}"
        yield f"{where}.label", c.label
        yield f"{where}.description", c.description
        for s in c.services:
            for d in s.cookies + s.storage:
                for field in ("duration", "purpose"):
                    text = getattr(d, field)
                    if text is not None:
                        yield f"{where}.{s.name('en')}.{d.name}.{field}", text


POLICY_TEXTS = dict(policy_texts())


@pytest.mark.parametrize("where", POLICY_TEXTS)
def test_every_policy_text_exists_in_each_language(where: str) -> None:
    text = POLICY_TEXTS[where]
    assert sorted(text.values) == sorted(LANGUAGES)
    assert all(text.values[lang].strip() for lang in LANGUAGES)
    if not where.endswith(".label"):  # a label may be the same word ("Marketing")
        assert text.values["fr"] != text.values["en"], "French text left in English"
    assert not re.search("['\"“”]", text.values["fr"])

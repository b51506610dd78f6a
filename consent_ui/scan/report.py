"""The scan's reports: text for people, JSON for programs, JUnit XML for CI, HTML
with a screenshot of each page in each state.

The JSON is the contract's shape (DESIGN.md, "Cookie scanner"); the other formats say
the same things. JUnit has one test case per page and state, and a failure per error
finding in it, so that any CI shows them where it shows failing tests.

Every report is in the scan's language (``Scan.lang``, flask-babel's catalogues under
``consent_ui.i18n.translating``): its sentences, headings and the findings' messages.
Codes, severities, states, kinds and the JSON keys stay as they are in every language.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

from flask_babel import format_decimal, get_translations, ngettext
from flask_babel import gettext as _
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..i18n import translating
from ..policy import Policy
from .findings import CODES, ERROR, INFO, WARNING, Assessment, Finding, Item, label, who
from .visit import STATES, PageScan

FORMATS = ("text", "json", "junit", "html")


@dataclass
class Scan:
    """Everything a report says."""

    scanned_at: datetime
    policy: Policy
    pages: list[PageScan]
    assessment: Assessment
    #: Links the crawl did not follow, and why.
    skipped: dict[str, str]
    seconds: float
    #: The language of the reports and of the findings' messages (``assess``'s).
    lang: str = "en"

    def summary(self) -> str:
        """ "1 page, 3 items: 2 errors, 0 warnings, 4 infos", in the language in force."""
        a = self.assessment
        return _(
            "%(pages)s, %(items)s: %(errors)s, %(warnings)s, %(infos)s",
            pages=_pages(len(self.pages)),
            items=ngettext("%(num)d item", "%(num)d items", len(a.items)),
            errors=ngettext("%(num)d error", "%(num)d errors", a.count(ERROR)),
            warnings=ngettext("%(num)d warning", "%(num)d warnings", a.count(WARNING)),
            infos=ngettext("%(num)d info", "%(num)d infos", a.count(INFO)),
        )


def _pages(count: int) -> str:
    return ngettext("%(num)d page", "%(num)d pages", count)


def _seconds(scan: Scan) -> str:
    return format_decimal(scan.seconds, format="0.0")


def _set_by(item: Item) -> str:
    return who(item.set_by) if item.set_by else _("unknown")


def in_language(render: Callable[[Scan], str]) -> Callable[[Scan], str]:
    """A report rendered in its scan's language, whoever calls it."""

    @wraps(render)
    def rendered(scan: Scan) -> str:
        with translating(scan.lang):
            return render(scan)

    return rendered


def _pages_json(scan: Scan) -> list[dict[str, Any]]:
    return [
        {
            "url": p.url,
            "status": p.status,
            "title": p.title,
            "loads_consent_ui": p.loads_consent_ui,
            "consent_server": p.consent_base,
            "states": [s for s, v in p.visits.items() if v.skipped is None],
            "skipped": {s: v.skipped for s, v in p.visits.items() if v.skipped},
        }
        for p in scan.pages
    ]


def to_json(scan: Scan) -> str:
    return json.dumps(
        {
            "scanned_at": scan.scanned_at.isoformat().replace("+00:00", "Z"),
            "policy_revision": scan.policy.revision,
            "pages": _pages_json(scan),
            "items": [i.to_json() for i in scan.assessment.items],
            "findings": [f.to_json() for f in scan.assessment.findings],
        },
        indent=2,
        ensure_ascii=False,
    )


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        (indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))).rstrip()
        for row in rows
    ]


def _columns() -> list[str]:
    """The headings of the table of items (the text report's, in capitals, and the HTML's)."""
    return [_("Kind"), _("Name"), _("Domain"), _("Category (service)"), _("States"), _("Set by")]


@in_language
def to_text(scan: Scan) -> str:
    a = scan.assessment
    lines = [
        _(
            "consent-ui scan of %(pages)s (%(states)s each), %(policy)s, in %(seconds)s s",
            pages=_pages(len(scan.pages)),
            states=", ".join(STATES),
            policy=_(
                "policy revision %(revision)s from %(source)s",
                revision=scan.policy.revision,
                source=scan.policy.source,
            ),
            seconds=_seconds(scan),
        ),
        "",
    ]
    for code, severity in CODES.items():
        found = [f for f in a.findings if f.code == code]
        if not found:
            continue
        lines.append(
            _("%(code)s (%(severity)s): %(count)d", code=code, severity=severity, count=len(found))
        )
        lines.extend(f"  - {_located(f)}" for f in found)
        lines.append("")
    if not a.findings:
        lines += [_("No findings."), ""]
    if a.items:
        lines.append(_("What the pages store and call:"))
        rows = [[c.upper() for c in _columns()]]
        for item in a.items:
            rows.append(
                [
                    item.kind,
                    item.name,
                    item.domain or "",
                    label(item.classification, scan.lang),
                    ", ".join(s for s in STATES if s in item.states),
                    _set_by(item),
                ]
            )
        lines += [*_table(rows), ""]
    lines.append(_("Pages:"))
    for p in scan.pages:
        skipped = "; ".join(
            _("%(state)s: %(reason)s", state=s, reason=v.skipped)
            for s, v in p.visits.items()
            if v.skipped
        )
        lines.append(f"  {p.url} ({p.status})" + (f" ({skipped})" if skipped else ""))
    if scan.skipped:
        reasons: dict[str, int] = {}
        for reason in scan.skipped.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        said = ", ".join(
            ngettext("%(num)d to another site", "%(num)d to other sites", n)
            if reason == "another site"
            else f"{n} ({reason})"
            for reason, n in sorted(reasons.items())
        )
        lines.append(_("Links not followed: %(links)s.", links=said))
    lines += ["", _("Summary: %(summary)s.", summary=scan.summary())]
    return "\n".join(lines) + "\n"


def _located(f: Finding) -> str:
    if not f.page:
        return f.message
    return _("[%(state)s on %(page)s] %(message)s", state=f.state, page=f.page, message=f.message)


@in_language
def to_junit(scan: Scan) -> str:
    a = scan.assessment
    suite = ET.Element(
        "testsuite",
        name="consent-ui scan",
        timestamp=scan.scanned_at.isoformat(),
        time=f"{scan.seconds:.3f}",
    )
    cases = failures = skipped = 0
    for page in scan.pages:
        for state, visit in page.visits.items():
            case = ET.SubElement(suite, "testcase", classname=page.url, name=state)
            cases += 1
            if visit.skipped:
                ET.SubElement(case, "skipped", message=visit.skipped)
                skipped += 1
                continue
            for f in a.findings:
                if f.page == page.url and f.state == state and f.severity == ERROR:
                    failure = ET.SubElement(case, "failure", type=f.code, message=f.message)
                    what = _(
                        "%(code)s: %(kind)s %(name)s on %(domain)s",
                        code=f.code,
                        kind=f.kind,
                        name=f.name,
                        domain=f.domain,
                    )
                    failure.text = f"{what}\n{f.message}"
                    failures += 1
            notes = [
                _note(f)
                for f in a.findings
                if f.page == page.url and f.state == state and f.severity != ERROR
            ]
            if notes:
                ET.SubElement(case, "system-out").text = "\n".join(notes)
    policy_notes = [_note(f) for f in a.findings if f.page is None]
    case = ET.SubElement(suite, "testcase", classname="policy", name="declarations")
    cases += 1
    if policy_notes:
        ET.SubElement(case, "system-out").text = "\n".join(policy_notes)
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    ET.indent(suite)
    body = ET.tostring(suite, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'


def _note(f: Finding) -> str:
    return _("%(code)s: %(message)s", code=f.code, message=f.message)


@in_language
def to_html(scan: Scan) -> str:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
    )
    # The callables flask-babel installs in an app's Jinja environment.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: get_translations().ugettext(s),
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
    )
    env.filters["data_uri"] = lambda image: (
        "data:image/jpeg;base64," + base64.b64encode(image).decode("ascii")
    )
    env.filters["label"] = lambda c: label(c, scan.lang)
    env.filters["set_by"] = _set_by
    return env.get_template("report.html").render(
        scan=scan,
        lang=scan.lang,
        seconds=_seconds(scan),
        columns=_columns(),
        codes=CODES,
        states=STATES,
        error=ERROR,
    )


RENDER = {"text": to_text, "json": to_json, "junit": to_junit, "html": to_html}

"""The scan's reports: text for people, JSON for programs, JUnit XML for CI, HTML
with a screenshot of each page in each state.

The JSON is the contract's shape (DESIGN.md, "Cookie scanner"); the other formats say
the same things. JUnit has one test case per page and state, and a failure per error
finding in it, so that any CI shows them where it shows failing tests.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..policy import Policy
from .findings import CODES, ERROR, INFO, WARNING, Assessment, Finding, label
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

    def summary(self) -> str:
        a = self.assessment
        return (
            f"{len(self.pages)} pages, {len(a.items)} items: {a.count(ERROR)} errors, "
            f"{a.count(WARNING)} warnings, {a.count(INFO)} infos"
        )


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


def to_text(scan: Scan) -> str:
    a = scan.assessment
    lines = [
        f"consent-ui scan of {len(scan.pages)} pages ({', '.join(STATES)} each), "
        f"policy revision {scan.policy.revision} from {scan.policy.source}, "
        f"in {scan.seconds:.1f} s",
        "",
    ]
    for code, severity in CODES.items():
        found = [f for f in a.findings if f.code == code]
        if not found:
            continue
        lines.append(f"{code} ({severity}): {len(found)}")
        lines.extend(f"  - {_where(f)}{f.message}" for f in found)
        lines.append("")
    if not a.findings:
        lines += ["No findings.", ""]
    if a.items:
        lines.append("What the pages store and call:")
        rows = [["KIND", "NAME", "DOMAIN", "CATEGORY (SERVICE)", "STATES", "SET BY"]]
        for item in a.items:
            rows.append(
                [
                    item.kind,
                    item.name,
                    item.domain or "",
                    label(item.classification),
                    ", ".join(s for s in STATES if s in item.states),
                    item.set_by.describe() if item.set_by else "unknown",
                ]
            )
        lines += [*_table(rows), ""]
    lines.append("Pages:")
    for p in scan.pages:
        skipped = "; ".join(f"{s}: {v.skipped}" for s, v in p.visits.items() if v.skipped)
        lines.append(f"  {p.url} ({p.status})" + (f" ({skipped})" if skipped else ""))
    if scan.skipped:
        reasons: dict[str, int] = {}
        for reason in scan.skipped.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        said = ", ".join(
            f"{n} to {reason}" if reason == "another site" else f"{n} ({reason})"
            for reason, n in sorted(reasons.items())
        )
        lines.append(f"Links not followed: {said}.")
    lines += ["", f"Summary: {scan.summary()}."]
    return "\n".join(lines) + "\n"


def _where(f: Finding) -> str:
    return f"[{f.state} on {f.page}] " if f.page else ""


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
                    failure.text = f"{f.code}: {f.kind} {f.name} on {f.domain}\n{f.message}"
                    failures += 1
            notes = [
                f"{f.code}: {f.message}"
                for f in a.findings
                if f.page == page.url and f.state == state and f.severity != ERROR
            ]
            if notes:
                ET.SubElement(case, "system-out").text = "\n".join(notes)
    policy_notes = [f"{f.code}: {f.message}" for f in a.findings if f.page is None]
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


def to_html(scan: Scan) -> str:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.filters["data_uri"] = lambda image: (
        "data:image/jpeg;base64," + base64.b64encode(image).decode("ascii")
    )
    env.filters["label"] = label
    return env.get_template("report.html").render(
        scan=scan, codes=CODES, states=STATES, error=ERROR
    )


RENDER = {"text": to_text, "json": to_json, "junit": to_junit, "html": to_html}

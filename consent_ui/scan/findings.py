"""From what the visits saw to what the operator must fix.

Each observation is classified against the policy with ``consent_ui.classify`` (the one
classification of the product). The findings are the contract's:

- ``before-consent`` (error): a non-essential or undeclared cookie or storage key, or a
  request to a host of a non-essential service, before any choice;
- ``after-reject`` (error): a cookie, storage key or request of a refused category after
  Reject all;
- ``undeclared`` (warning): a cookie or storage key that no declaration matches;
- ``unused`` (info): a declaration (a cookie, a storage key, a service's host) that no
  visit saw.

Errors are reported per page and state (each is a failing test case in JUnit); an
undeclared item once, where it was first seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..classify import COOKIE, REQUEST, Classification, classify
from ..observe import Observation, SetBy
from ..policy import Policy, glob_pattern
from .visit import ACCEPTED, BEFORE, REJECTED, STATES, PageScan

ERROR, WARNING, INFO = "error", "warning", "info"
CODES = {"before-consent": ERROR, "after-reject": ERROR, "undeclared": WARNING, "unused": INFO}


@dataclass(frozen=True)
class Finding:
    code: str
    kind: str
    name: str
    domain: str | None
    page: str | None
    state: str | None
    message: str

    @property
    def severity(self) -> str:
        return CODES[self.code]

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "kind": self.kind,
            "name": self.name,
            "domain": self.domain,
            "page": self.page,
            "state": self.state,
            "message": self.message,
        }


@dataclass
class Item:
    """One cookie, storage key or request across every visit."""

    classification: Classification
    states: set[str] = field(default_factory=set)
    pages: list[str] = field(default_factory=list)
    set_by: SetBy | None = None

    @property
    def kind(self) -> str:
        return self.classification.kind

    @property
    def name(self) -> str:
        return self.classification.name

    @property
    def domain(self) -> str | None:
        return self.classification.domain

    def to_json(self) -> dict[str, Any]:
        c = self.classification
        return {
            "kind": c.kind,
            "name": c.name,
            "domain": c.domain,
            "category": c.category_key,
            "service": c.service_name("en"),
            "states": [s for s in STATES if s in self.states],
            "set_by": self.set_by.to_json() if self.set_by else None,
        }


@dataclass
class Assessment:
    items: list[Item]
    findings: list[Finding]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def failed(self) -> bool:
        return self.count(ERROR) > 0


def label(c: Classification) -> str:
    """ "statistics (Google Analytics)", or "undeclared"."""
    if not c.declared:
        return "undeclared"
    service = c.service_name("en")
    return f"{c.category_key} ({service})" if service else str(c.category_key)


def _who(set_by: SetBy | None) -> str:
    return set_by.describe() if set_by else "an unknown script (the browser does not say)"


def _before(o: Observation, c: Classification, page: str) -> Finding | None:
    if o.kind == REQUEST:
        if not c.declared or c.essential:
            return None
        message = (
            f"{o.describe()} ({label(c)}) before any choice, from {_who(o.set_by)}: load "
            f'what calls it only with consent (data-consent="{c.category_key}").'
        )
    elif c.essential:
        return None
    elif c.declared:
        message = (
            f"{o.describe()} ({label(c)}) is set before any choice, by {_who(o.set_by)}: "
            f'mark that script type="text/plain" data-consent="{c.category_key}".'
        )
    else:
        message = (
            f"{o.describe()} (undeclared) is set before any choice, by {_who(o.set_by)}: "
            "declare it as essential if the site needs it, else gate what sets it."
        )
    return Finding("before-consent", o.kind, o.name, o.domain, page, BEFORE, message)


def _after_reject(o: Observation, c: Classification, page: str) -> Finding | None:
    if not c.declared or c.essential:
        return None
    what = "is called" if o.kind == REQUEST else "is still there"
    return Finding(
        "after-reject",
        o.kind,
        o.name,
        o.domain,
        page,
        REJECTED,
        f"{o.describe()} ({label(c)}) {what} after Reject all, from {_who(o.set_by)}: "
        f"it must not run without consent to {c.category_key}.",
    )


def assess(policy: Policy, pages: list[PageScan]) -> Assessment:
    items: dict[tuple[str, str, str], Item] = {}
    findings: list[Finding] = []
    for scan in pages:
        for state, visit in scan.visits.items():
            for o in visit.observations:
                c = classify(policy, o.kind, o.name, o.domain)
                item = items.get(o.key)
                if item is None:
                    item = items[o.key] = Item(c, set_by=o.set_by)
                    if not c.declared and o.kind != REQUEST:
                        findings.append(
                            Finding(
                                "undeclared",
                                o.kind,
                                o.name,
                                o.domain,
                                scan.url,
                                state,
                                f"{o.describe()} is not declared in the policy (seen {state} "
                                f"on {scan.url}, set by {_who(o.set_by)}): add it to the "
                                "service that sets it (consent-ui scan --suggest drafts it).",
                            )
                        )
                item.states.add(state)
                item.set_by = item.set_by or o.set_by
                if scan.url not in item.pages:
                    item.pages.append(scan.url)
                finding = (
                    _before(o, c, scan.url)
                    if state == BEFORE
                    else _after_reject(o, c, scan.url)
                    if state == REJECTED
                    else None
                )
                if finding and finding not in findings:
                    findings.append(finding)
    findings.extend(_unused(policy, list(items.values())))
    order = {BEFORE: 0, REJECTED: 1, ACCEPTED: 2, None: 3}
    findings.sort(key=lambda f: (list(CODES).index(f.code), order[f.state]))
    return Assessment(list(items.values()), findings)


def _unused(policy: Policy, items: list[Item]) -> list[Finding]:
    found = []
    declarations = {id(i.classification.declaration) for i in items}
    hosts = [i.domain for i in items if i.kind == REQUEST and i.domain]
    for category in policy.categories:
        for service in category.services:
            where = f"{service.name('en')}, {category.key}"
            for kind, declared in ((COOKIE, service.cookies), ("storage", service.storage)):
                for d in declared:
                    if id(d) not in declarations:
                        what = "cookie" if kind == COOKIE else "storage key"
                        found.append(
                            Finding(
                                "unused",
                                kind,
                                d.name,
                                d.domain,
                                None,
                                None,
                                f"the policy declares the {what} “{d.name}” ({where}) but no "
                                "visit saw it: remove it, or check that the service still runs.",
                            )
                        )
            for host in service.hosts:
                if not any(re.match(glob_pattern(host), h) for h in hosts):
                    found.append(
                        Finding(
                            "unused",
                            REQUEST,
                            host,
                            host,
                            None,
                            None,
                            f"the policy declares the host {host} ({where}) but no visit "
                            "called it: remove it, or check that the service still runs.",
                        )
                    )
    return found

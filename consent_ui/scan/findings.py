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
undeclared item once, where it was first seen. Messages are in the scan's language
(flask-babel's catalogues, under ``consent_ui.i18n.translating``); codes, severities,
kinds and states are the same in every language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from ..classify import COOKIE, REQUEST, Classification, classify
from ..i18n import translating
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


def label(c: Classification, lang: str = "en") -> str:
    """ "Statistics (Google Analytics)", or "undeclared", in ``lang``; call it where
    ``translating`` is in force (the reports and ``assess`` are)."""
    if c.category is None:
        return _("undeclared")
    service = c.service_name(lang)
    category = c.category.label(lang)
    return f"{category} ({service})" if service else category


def who(set_by: SetBy | None) -> str:
    """Who set an item, in the language in force."""
    return set_by.describe(_) if set_by else _("an unknown script (the browser does not say)")


def _before(o: Observation, c: Classification, page: str, lang: str) -> Finding | None:
    what, by = o.describe(_), who(o.set_by)
    if o.kind == REQUEST:
        if not c.declared or c.essential:
            return None
        message = _(
            "%(what)s (%(label)s) before any choice, from %(who)s: load what calls it only "
            "with consent (%(attribute)s).",
            what=what,
            label=label(c, lang),
            who=by,
            attribute=f'data-consent="{c.category_key}"',
        )
    elif c.essential:
        return None
    elif c.declared:
        message = _(
            "%(what)s (%(label)s) is set before any choice, by %(who)s: mark that script "
            "%(attributes)s.",
            what=what,
            label=label(c, lang),
            who=by,
            attributes=f'type="text/plain" data-consent="{c.category_key}"',
        )
    else:
        message = _(
            "%(what)s (undeclared) is set before any choice, by %(who)s: declare it as "
            "essential if the site needs it, else gate what sets it.",
            what=what,
            who=by,
        )
    return Finding("before-consent", o.kind, o.name, o.domain, page, BEFORE, message)


def _after_reject(o: Observation, c: Classification, page: str, lang: str) -> Finding | None:
    if c.category is None or c.essential:
        return None
    values = {
        "what": o.describe(_),
        "label": label(c, lang),
        "who": who(o.set_by),
        "category": c.category.label(lang),
    }
    if o.kind == REQUEST:
        message = _(
            "%(what)s (%(label)s) is called after Reject all, from %(who)s: it must not run "
            "without consent to “%(category)s”.",
            **values,
        )
    else:
        message = _(
            "%(what)s (%(label)s) is still there after Reject all, from %(who)s: it must not "
            "run without consent to “%(category)s”.",
            **values,
        )
    return Finding("after-reject", o.kind, o.name, o.domain, page, REJECTED, message)


def _undeclared(o: Observation, page: str, state: str) -> Finding:
    return Finding(
        "undeclared",
        o.kind,
        o.name,
        o.domain,
        page,
        state,
        _(
            "%(what)s is not declared in the policy (seen %(state)s on %(page)s, set by "
            "%(who)s): add it to the service that sets it (consent-ui scan --suggest "
            "drafts it).",
            what=o.describe(_),
            state=state,
            page=page,
            who=who(o.set_by),
        ),
    )


def assess(policy: Policy, pages: list[PageScan], lang: str = "en") -> Assessment:
    """The items and findings of a scan, their messages in ``lang``."""
    with translating(lang):
        return _assess(policy, pages, lang)


def _assess(policy: Policy, pages: list[PageScan], lang: str) -> Assessment:
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
                        findings.append(_undeclared(o, scan.url, state))
                item.states.add(state)
                item.set_by = item.set_by or o.set_by
                if scan.url not in item.pages:
                    item.pages.append(scan.url)
                finding = (
                    _before(o, c, scan.url, lang)
                    if state == BEFORE
                    else _after_reject(o, c, scan.url, lang)
                    if state == REJECTED
                    else None
                )
                if finding and finding not in findings:
                    findings.append(finding)
    findings.extend(_unused(policy, list(items.values()), lang))
    order = {BEFORE: 0, REJECTED: 1, ACCEPTED: 2, None: 3}
    findings.sort(key=lambda f: (list(CODES).index(f.code), order[f.state]))
    return Assessment(list(items.values()), findings)


def _unused(policy: Policy, items: list[Item], lang: str) -> list[Finding]:
    found = []
    declarations = {id(i.classification.declaration) for i in items}
    hosts = [i.domain for i in items if i.kind == REQUEST and i.domain]

    def unused(kind: str, name: str, domain: str | None, message: str) -> None:
        found.append(Finding("unused", kind, name, domain, None, None, message))

    for category in policy.categories:
        for service in category.services:
            where = {"service": service.name(lang), "category": category.label(lang)}
            for d in service.cookies:
                if id(d) not in declarations:
                    message = _(
                        "the policy declares the cookie “%(name)s” (%(service)s, %(category)s) "
                        "but no visit saw it: remove it, or check that the service still runs.",
                        name=d.name,
                        **where,
                    )
                    unused(COOKIE, d.name, d.domain, message)
            for d in service.storage:
                if id(d) not in declarations:
                    message = _(
                        "the policy declares the storage key “%(name)s” (%(service)s, "
                        "%(category)s) but no visit saw it: remove it, or check that the "
                        "service still runs.",
                        name=d.name,
                        **where,
                    )
                    unused("storage", d.name, d.domain, message)
            for host in service.hosts:
                if not any(re.match(glob_pattern(host), h) for h in hosts):
                    message = _(
                        "the policy declares the host %(host)s (%(service)s, %(category)s) but "
                        "no visit called it: remove it, or check that the service still runs.",
                        host=host,
                        **where,
                    )
                    unused(REQUEST, host, host, message)
    return found

"""The ``trackers`` fixture: what a page stores and calls, classified like the scanner.

It watches the test's browser context with ``consent_ui.observe`` (the scanner's
observation) and classifies every cookie, storage key and request to another host
with ``consent_ui.classify`` against the consent server's policy. Cookies and storage
keys are those there now; requests are all those made since the fixture started.
Requests to hosts no service declares are listed but never offend: only cookies and
storage keys can be "undeclared", as in the scanner's findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..classify import REQUEST, Classification, classify
from ..observe import Observation, Observer, SetBy
from ..policy import Policy

#: A snapshot waits for this many seconds of quiet, at most SETTLE seconds.
QUIET = 0.5
SETTLE = 5.0


@dataclass(frozen=True)
class Tracker:
    """One cookie, storage key or request, and what the policy says of it."""

    observation: Observation
    classification: Classification

    @property
    def kind(self) -> str:
        return self.observation.kind

    @property
    def name(self) -> str:
        return self.observation.name

    @property
    def domain(self) -> str:
        return self.observation.domain

    @property
    def category(self) -> str | None:
        return self.classification.category_key

    @property
    def service(self) -> str | None:
        return self.classification.service_name("en")

    @property
    def set_by(self) -> SetBy | None:
        return self.observation.set_by

    @property
    def declared(self) -> bool:
        return self.classification.declared

    def describe(self) -> str:
        """In plain words: what, which category and service, who set it."""
        if self.declared:
            what = f"{self.category} ({self.service})" if self.service else str(self.category)
        else:
            what = "undeclared"
        who = self.set_by.describe() if self.set_by else "an unknown script"
        verb = "made by" if self.kind == REQUEST else "set by"
        return f"{self.observation.describe()}: {what}, {verb} {who}"


class Trackers:
    """Watches the context of ``page`` from now on."""

    def __init__(self, page: Any, policy: Policy, ignore_hosts: set[str] = frozenset()) -> None:
        self.page = page
        self.policy = policy
        self.ignore_hosts = set(ignore_hosts)
        self._observer = Observer(page.context)

    def all(self) -> list[Tracker]:
        """Every cookie and storage key now, and every request to another host so far.
        Waits first, up to 5 s, until the page has been quiet (no request, response or
        write) for half a second: late trackers are caught, not raced."""
        self._observer.settle(self.page, quiet=QUIET, timeout=SETTLE)
        snapshot = self._observer.snapshot([self.page], ignore_hosts=self.ignore_hosts)
        return [Tracker(o, classify(self.policy, o.kind, o.name, o.domain)) for o in snapshot]

    def undeclared(self) -> list[Tracker]:
        """Cookies and storage keys that no declaration of the policy matches."""
        return [t for t in self.all() if not t.declared and t.kind != REQUEST]

    def of(self, category: str) -> list[Tracker]:
        """The trackers of one category of the policy."""
        self._check(category)
        return [t for t in self.all() if t.category == category]

    def assert_only(self, *categories: str) -> None:
        """Fail unless every cookie, storage key and declared request belongs to one of
        ``categories``; the message names each offender, its category and its setter."""
        for key in categories:
            self._check(key)
        offenders = [
            t
            for t in self.all()
            if (t.category not in categories) and (t.declared or t.kind != REQUEST)
        ]
        if offenders:
            allowed = ", ".join(categories) or "nothing"
            lines = [
                f"{len(offenders)} tracker{'s' if len(offenders) > 1 else ''} outside "
                f"{allowed} on {self.page.url}:",
                *(f"  - {t.describe()}" for t in offenders),
            ]
            raise AssertionError("\n".join(lines))

    def _check(self, category: str) -> None:
        if category not in self.policy.keys:
            raise ValueError(
                f"no category {category!r} in the policy (its keys: {', '.join(self.policy.keys)})"
            )

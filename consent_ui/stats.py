"""Opt-in figures: what the visitors chose over a period, from the log's aggregates.

The database aggregates (``Store.figures``: grouped rows, never one per record) and this
module shapes them, once, for the dashboard, ``GET /admin/api/stats`` and
``consent-ui stats``. **Choices** are ``accept_all``, ``reject_all`` and ``custom``
records; **withdrawals** are ``withdraw`` records; **visitors** are the distinct consent
ids among the choices; the **opt-in rate** of an optional category is the share of
choices that grant it. Records made by consent-ui's own tools are not in the figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .consent import ACTIONS, LOG_ACTIONS, SURFACES
from .errors import InvalidPeriod
from .policy import LANGUAGES, Policy
from .store import Figures, Store

#: The period when none is given: the 30 days that end today (``--from`` is 29 days
#: before ``--to``).
DEFAULT_DAYS = 30
#: The longest period asked for at once: three years (the retention period), a leap day
#: included. Longer asks are refused rather than left to run.
MAX_DAYS = 3 * 365 + 1
#: The breakdowns of the choices, and the values each always lists (zeros included).
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "lang": LANGUAGES,
    "surface": SURFACES,
    "revision": (),
    "gpc": ("0", "1"),
}

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(value: str, field: str) -> date:
    """A UTC day written ``YYYY-MM-DD`` (and only that: no week dates, no ``20261101``)."""
    try:
        if not _DAY.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidPeriod("format", field, value) from None


@dataclass(frozen=True)
class Period:
    """UTC days from ``first`` to ``last``, both included."""

    first: date
    last: date

    @classmethod
    def parse(cls, start: str | None, end: str | None, *, today: date) -> Period:
        """``to`` defaults to today, ``from`` to 29 days before ``to``; an empty value
        is no value (an empty form field)."""
        last = parse_day(end, "to") if end else today
        first = parse_day(start, "from") if start else last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise InvalidPeriod("order")
        period = cls(first, last)
        if period.days > MAX_DAYS:
            raise InvalidPeriod("length", limit=MAX_DAYS)
        return period

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def dates(self) -> Iterator[date]:
        for offset in range(self.days):
            yield self.first + timedelta(days=offset)

    def __str__(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def _rate(granted: int, choices: int) -> float:
    return round(granted / choices, 4) if choices else 0.0


@dataclass(frozen=True)
class Tally:
    """Choices, and how many of them grant each optional category."""

    choices: int = 0
    granted: Mapping[str, int] = field(default_factory=dict)

    def rate(self, key: str) -> float:
        return _rate(self.granted.get(key, 0), self.choices)


@dataclass(frozen=True)
class Day:
    """One UTC day: records per action, and the categories its choices grant."""

    date: date
    actions: Mapping[str, int]
    granted: Mapping[str, int]

    @property
    def choices(self) -> int:
        return sum(self.actions[a] for a in ACTIONS)

    @property
    def withdrawals(self) -> int:
        return self.actions["withdraw"]

    def rate(self, key: str) -> float | None:
        """The day's opt-in rate; None on a day without choices (a gap, not a zero)."""
        return _rate(self.granted[key], self.choices) if self.choices else None

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "choices": self.choices,
            "withdrawals": self.withdrawals,
            "actions": dict(self.actions),
            "categories": dict(self.granted),
        }


@dataclass(frozen=True)
class Stats:
    """The figures of one period, for the optional ``categories`` in policy order."""

    period: Period
    categories: tuple[str, ...]
    visitors: int
    actions: Mapping[str, int]
    granted: Mapping[str, int]
    daily: tuple[Day, ...]
    #: Each breakdown (``BREAKDOWNS``): its values and their choices.
    by: Mapping[str, Mapping[str, Tally]]

    @property
    def choices(self) -> int:
        return sum(self.actions[a] for a in ACTIONS)

    @property
    def withdrawals(self) -> int:
        return self.actions["withdraw"]

    def rate(self, key: str) -> float:
        return _rate(self.granted[key], self.choices)

    def to_json(self) -> dict[str, Any]:
        """The shape of ``GET /admin/api/stats`` (DESIGN.md, "Opt-in figures")."""
        return {
            "from": self.period.first.isoformat(),
            "to": self.period.last.isoformat(),
            "choices": self.choices,
            "withdrawals": self.withdrawals,
            "visitors": self.visitors,
            "actions": dict(self.actions),
            "categories": {
                key: {"granted": self.granted[key], "rate": self.rate(key)}
                for key in self.categories
            },
            "daily": [day.to_json() for day in self.daily],
            "by": {
                name: {value: tally.choices for value, tally in values.items()}
                for name, values in self.by.items()
            },
        }

    def daily_columns(self) -> tuple[str, ...]:
        """The columns of the daily figures as CSV (``/admin/stats.csv``)."""
        return (
            "date",
            "choices",
            "withdrawals",
            *LOG_ACTIONS,
            *(f"{key}_granted" for key in self.categories),
            *(f"{key}_rate" for key in self.categories),
        )

    def daily_rows(self) -> Iterator[tuple[Any, ...]]:
        for day in self.daily:
            yield (
                day.date.isoformat(),
                day.choices,
                day.withdrawals,
                *(day.actions[a] for a in LOG_ACTIONS),
                *(day.granted[key] for key in self.categories),
                *(_rate(day.granted[key], day.choices) for key in self.categories),
            )


def summarise(figures: Figures, period: Period, categories: Sequence[str]) -> Stats:
    """Shape the store's grouped rows: a day for every date of the period (zeros
    included), totals, and the choices of each breakdown value."""
    keys = tuple(categories)
    days = {d: ({a: 0 for a in LOG_ACTIONS}, dict.fromkeys(keys, 0)) for d in period.dates()}
    by: dict[str, dict[str, list[Any]]] = {
        name: {value: [0, dict.fromkeys(keys, 0)] for value in values}
        for name, values in BREAKDOWNS.items()
    }
    for row in figures.rows:
        day = date.fromisoformat(row.day)
        if day not in days or row.action not in LOG_ACTIONS:
            continue
        actions, granted = days[day]
        actions[row.action] += row.records
        if row.action == "withdraw":
            continue
        values = {
            "lang": row.lang,
            "surface": row.surface,
            "revision": str(row.revision),
            "gpc": "1" if row.gpc else "0",
        }
        for name, value in values.items():
            tally = by[name].setdefault(value, [0, dict.fromkeys(keys, 0)])
            tally[0] += row.records
            for key in keys:
                tally[1][key] += row.granted.get(key, 0)
        for key in keys:
            granted[key] += row.granted.get(key, 0)
    daily = tuple(Day(d, actions, granted) for d, (actions, granted) in days.items())
    by["revision"] = dict(sorted(by["revision"].items(), key=lambda item: int(item[0])))
    return Stats(
        period=period,
        categories=keys,
        visitors=figures.visitors,
        actions={a: sum(day.actions[a] for day in daily) for a in LOG_ACTIONS},
        granted={key: sum(day.granted[key] for day in daily) for key in keys},
        daily=daily,
        by={
            name: {value: Tally(choices, granted) for value, (choices, granted) in values.items()}
            for name, values in by.items()
        },
    )


def compute(store: Store, policy: Policy, period: Period) -> Stats:
    """The figures of ``period`` for the policy's optional categories."""
    keys = policy.optional_keys
    return summarise(store.figures(period.first, period.last, keys), period, keys)

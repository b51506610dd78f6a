"""The opt-in figures: exact numbers for a hand-made log (empty days, Global Privacy
Control, a change of mind, a withdrawal, a tool's record left out), their JSON shape,
the daily CSV rows, and the periods that are refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from consent_ui.errors import InvalidPeriod
from consent_ui.policy import load_policy
from consent_ui.stats import MAX_DAYS, Period, compute, summarise
from consent_ui.store import FigureRow, Figures
from consent_ui.store.sqlite import SQLiteStore
from tests.logs import EXPECTED, KEYS, ZERO_KEYS, fill

POLICY = load_policy()
TODAY = date(2026, 11, 30)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "consent.db")
    store.migrate()
    yield fill(store)
    store.close()


def test_the_figures_of_a_hand_made_log(log: SQLiteStore) -> None:
    stats = compute(log, POLICY, Period(date(2026, 11, 1), date(2026, 11, 5)))
    assert stats.to_json() == EXPECTED
    assert list(stats.to_json()) == [
        "from", "to", "choices", "withdrawals", "visitors", "actions", "categories", "daily", "by",
    ]  # fmt: skip
    assert list(stats.to_json()["categories"]) == list(KEYS), "policy order"


def test_breakdowns_keep_the_opt_in_of_each_value(log: SQLiteStore) -> None:
    """What makes a new revision (a new banner text) an A/B comparison."""
    stats = compute(log, POLICY, Period(date(2026, 11, 1), date(2026, 11, 5)))
    revision_1, revision_2 = stats.by["revision"]["1"], stats.by["revision"]["2"]
    assert (revision_1.choices, revision_1.rate("statistics"), revision_1.rate("marketing")) == (
        4,
        0.75,
        0.25,
    )
    assert (revision_2.choices, revision_2.rate("statistics"), revision_2.rate("marketing")) == (
        1,
        0,
        1.0,
    )
    assert stats.by["gpc"]["1"].granted == {"statistics": 1, "personalization": 0, "marketing": 0}
    assert stats.by["surface"]["api"].rate("statistics") == 0, "no choices: 0, not an error"


def test_the_daily_rates_leave_a_gap_on_days_without_choices(log: SQLiteStore) -> None:
    stats = compute(log, POLICY, Period(date(2026, 11, 1), date(2026, 11, 5)))
    assert [day.rate("statistics") for day in stats.daily] == [1.0, None, 0.5, None, 0]


def test_one_day_and_the_visitor_who_came_back(log: SQLiteStore) -> None:
    stats = compute(log, POLICY, Period(date(2026, 11, 3), date(2026, 11, 3)))
    assert (stats.choices, stats.visitors, stats.withdrawals) == (2, 2, 0)
    assert [d["date"] for d in stats.to_json()["daily"]] == ["2026-11-03"]


def test_an_empty_period_has_every_day_and_zero_rates(log: SQLiteStore) -> None:
    stats = compute(log, POLICY, Period(date(2027, 2, 27), date(2027, 3, 2)))
    body = stats.to_json()
    assert (body["choices"], body["withdrawals"], body["visitors"]) == (0, 0, 0)
    assert body["categories"] == {key: {"granted": 0, "rate": 0} for key in KEYS}
    assert [d["date"] for d in body["daily"]] == [
        "2027-02-27",
        "2027-02-28",
        "2027-03-01",
        "2027-03-02",
    ]
    assert body["by"] == {
        "lang": {"en": 0, "fr": 0},
        "surface": {"banner": 0, "preferences": 0, "placeholder": 0, "api": 0},
        "revision": {},
        "gpc": {"0": 0, "1": 0},
    }


def test_rates_are_rounded_to_four_places() -> None:
    rows = (
        FigureRow("2026-11-01", "accept_all", "en", "banner", 1, False, 1, dict.fromkeys(KEYS, 1)),
        FigureRow("2026-11-01", "reject_all", "en", "banner", 1, False, 2, ZERO_KEYS),
    )
    period = Period(date(2026, 11, 1), date(2026, 11, 1))
    stats = summarise(Figures(rows, visitors=3), period, KEYS)
    assert stats.to_json()["categories"]["statistics"] == {"granted": 1, "rate": 0.3333}
    rows = (*rows, FigureRow("2026-11-01", "custom", "fr", "api", 3, True, 1, ZERO_KEYS))
    rows = (*rows, FigureRow("2026-11-01", "accept_all", "fr", "api", 3, True, 2, ZERO_KEYS))
    stats = summarise(Figures(rows, visitors=5), period, KEYS)
    assert (stats.choices, stats.rate("statistics")) == (6, 0.1667)
    assert {v: t.choices for v, t in stats.by["revision"].items()} == {"1": 3, "3": 3}


def test_the_daily_csv_rows(log: SQLiteStore) -> None:
    stats = compute(log, POLICY, Period(date(2026, 11, 1), date(2026, 11, 2)))
    assert stats.daily_columns() == (
        "date", "choices", "withdrawals", "accept_all", "reject_all", "custom", "withdraw",
        "statistics_granted", "personalization_granted", "marketing_granted",
        "statistics_rate", "personalization_rate", "marketing_rate",
    )  # fmt: skip
    assert list(stats.daily_rows()) == [
        ("2026-11-01", 2, 0, 2, 0, 0, 0, 2, 1, 1, 1.0, 0.5, 0.5),
        ("2026-11-02", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0),
    ]


def test_default_period_is_the_thirty_days_to_today() -> None:
    assert Period.parse(None, None, today=TODAY) == Period(date(2026, 11, 1), TODAY)
    assert Period.parse("", "", today=TODAY) == Period(date(2026, 11, 1), TODAY)
    assert Period.parse(None, "2026-03-01", today=TODAY) == Period(
        date(2026, 1, 31), date(2026, 3, 1)
    )
    assert Period.parse("2026-11-30", None, today=TODAY).days == 1
    assert str(Period.parse("2024-02-28", "2024-03-01", today=TODAY)) == "2024-02-28..2024-03-01"
    assert Period.parse("2024-02-28", "2024-03-01", today=TODAY).days == 3


def test_the_longest_period() -> None:
    longest = Period.parse("2023-12-01", "2026-11-30", today=TODAY)
    assert longest.days == MAX_DAYS == 1096


FORMAT = "“{}” must be a UTC day written YYYY-MM-DD, not “{}”."
ORDER = "The period must not start after it ends (“from” after “to”)."
LENGTH = "The period must be at most 1096 days long."
BAD_PERIODS = [
    (("2026-13-01", None), "format", FORMAT.format("from", "2026-13-01")),
    ((None, "2026-02-30"), "format", FORMAT.format("to", "2026-02-30")),
    (("20261101", None), "format", FORMAT.format("from", "20261101")),
    (("2026-W44-1", None), "format", FORMAT.format("from", "2026-W44-1")),
    (("2026-11-01T00:00", None), "format", FORMAT.format("from", "2026-11-01T00:00")),
    (("1/11/2026", None), "format", FORMAT.format("from", "1/11/2026")),
    ((" 2026-11-01", None), "format", FORMAT.format("from", " 2026-11-01")),
    (("2026-11-02", "2026-11-01"), "order", ORDER),
    (("2026-12-01", None), "order", ORDER),
    (("2023-11-30", "2026-11-30"), "length", LENGTH),
    (("0001-01-01", "9999-12-31"), "length", LENGTH),
]


@pytest.mark.parametrize(("values", "problem", "message"), BAD_PERIODS)
def test_bad_periods_are_refused(values: tuple, problem: str, message: str) -> None:
    with pytest.raises(InvalidPeriod) as caught:
        Period.parse(*values, today=TODAY)
    assert caught.value.problem == problem
    assert str(caught.value) == message
    assert caught.value.status == 400

"""The charts' geometry: axes that end on round numbers, bars that stack to their day's
total, lines that break on days without choices, direct labels that never overlap."""

from __future__ import annotations

import itertools

import pytest

from consent_ui import charts


@pytest.mark.parametrize(
    ("value", "maximum"),
    [(0, 1), (1, 1), (3, 5), (7, 10), (10, 10), (11, 20), (49, 50), (51, 100), (1456, 2000)],
)
def test_nice_maximum(value: float, maximum: float) -> None:
    assert charts.nice_maximum(value) == maximum


def test_stacked_bars_stack_to_the_days_total() -> None:
    values = [[2, 1, 0, 0], [0, 0, 0, 0], [5, 3, 1, 1]]
    titles = [[f"d{d}s{s}" for s in range(4)] for d in range(3)]
    chart = charts.stacked_bars(["a", "b", "c"], values, ["A", "R", "C", "W"], titles=titles)
    _, top, _, bottom = chart.plot
    scale = (bottom - top) / 10  # the axis ends at 10 for a tallest day of 10
    assert [t.label for t in chart.ticks] == ["0", "5", "10"]
    assert [(s.series, s.title) for s in chart.segments] == [
        (0, "d0s0"),
        (1, "d0s1"),
        (0, "d2s0"),
        (1, "d2s1"),
        (2, "d2s2"),
        (3, "d2s3"),
    ]
    third = chart.segments[2:]
    assert third[0].y + third[0].height == pytest.approx(bottom)
    assert sum(s.height for s in third) == pytest.approx(10 * scale)
    for lower, upper in itertools.pairwise(third):
        assert upper.y + upper.height == pytest.approx(lower.y), "each on top of the last"
    assert [t.label for t in chart.totals] == ["3", "10"], "no total over an empty day"
    assert [item.label for item in chart.legend] == ["A", "R", "C", "W"]


def test_a_long_period_keeps_about_eight_date_labels_and_no_totals() -> None:
    days = [f"d{i}" for i in range(365)]
    chart = charts.stacked_bars(days, [[1, 0, 0, 0]] * 365, list("ARCW"), titles=[[""] * 4] * 365)
    assert 7 <= len(chart.x_labels) <= 8
    assert chart.x_labels[0].label == "d0"
    assert chart.totals == ()


def test_lines_break_where_there_were_no_choices() -> None:
    chart = charts.rate_lines(
        ["a", "b", "c", "d"],
        {"Statistics": [1.0, None, 0.5, 0.0], "Marketing": [None, None, None, None]},
        percent=lambda r: f"{r:.0%}",
        titles={"Statistics": ["t"] * 4, "Marketing": ["t"] * 4},
    )
    statistics, marketing = chart.lines
    assert [len(run) for run in statistics.runs] == [1, 2]
    assert len(statistics.paths()) == 2
    _, top, _, bottom = chart.plot
    assert statistics.runs[0][0].y == pytest.approx(top)
    assert statistics.runs[1][1].y == pytest.approx(bottom)
    assert statistics.label_y == pytest.approx(bottom), "at its last value"
    assert marketing.runs == ()
    assert marketing.label_y is None
    assert [t.label for t in chart.ticks] == ["0%", "25%", "50%", "75%", "100%"]


def test_direct_labels_are_pushed_apart() -> None:
    chart = charts.rate_lines(
        ["a"],
        {"One": [0.5], "Two": [0.5], "Three": [0.51]},
        percent=str,
        titles={"One": ["t"], "Two": ["t"], "Three": ["t"]},
    )
    ys = sorted(line.label_y for line in chart.lines)
    assert all(b - a >= charts.LABEL_GAP for a, b in itertools.pairwise(ys))
    _, top, _, bottom = chart.plot
    assert top <= ys[0]
    assert ys[-1] <= bottom


def test_labels_at_the_bottom_stay_on_the_chart() -> None:
    chart = charts.rate_lines(
        ["a"],
        {"One": [0.0], "Two": [0.0], "Three": [0.0]},
        percent=str,
        titles={"One": ["t"], "Two": ["t"], "Three": ["t"]},
    )
    _, _, _, bottom = chart.plot
    ys = sorted(line.label_y for line in chart.lines)
    assert ys[-1] == pytest.approx(bottom)
    assert ys[1] == pytest.approx(bottom - charts.LABEL_GAP)


def test_horizontal_bars_are_shares_of_the_total() -> None:
    chart = charts.horizontal_bars(
        [("English", 30), ("French", 70), ("Other", 0)], total=100, value=str
    )
    widths = [bar.width for bar in chart.bars]
    assert widths[0] / widths[1] == pytest.approx(30 / 70)
    assert widths[2] == 0
    assert [bar.value for bar in chart.bars] == ["30", "70", "0"]
    empty = charts.horizontal_bars([("English", 0)], total=0, value=str)
    assert empty.bars[0].width == 0

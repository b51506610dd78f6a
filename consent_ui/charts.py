"""The geometry of the dashboard's charts; ``templates/consent_ui/admin/_charts.html``
draws it as inline SVG.

No charting library gave what the dashboard needs: pygal, even with ``js=[]``, still
writes an inline ``<script>`` and ``<style>`` into its SVG (both refused by the
service's Content-Security-Policy, which leaves the chart unstyled) and no
``role="img"``; leather writes light grey text below the contrast WCAG asks. So the
charts are a small template of our own: each an ``<svg role="img">`` with a title and
a description, series told apart by patterns, markers and dashes as well as colour,
values written on the chart, and the same figures as a table right after it. Colours
come from the stylesheet (light and dark), never from the markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

WIDTH = 720
#: Room around the plot: left for the y labels, right for the lines' direct labels.
LEFT, RIGHT, TOP, BOTTOM = 56, 140, 34, 30
#: Past this many days, bars lose their value labels and lines their markers.
DETAILED_DAYS = 62
#: Direct labels closer than this (in SVG units) are pushed apart.
LABEL_GAP = 15


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    label: str


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str


@dataclass(frozen=True)
class Total:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class LegendItem:
    x: float
    series: int
    label: str


@dataclass(frozen=True)
class BarChart:
    """Stacked bars, one per day, one segment per series."""

    height: int
    plot: tuple[float, float, float, float]  # left, top, right, bottom
    ticks: tuple[Tick, ...]
    x_labels: tuple[XLabel, ...]
    segments: tuple[Segment, ...]
    totals: tuple[Total, ...]
    legend: tuple[LegendItem, ...]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    series: int
    label: str
    #: Runs of consecutive days with a value; a day without one breaks the line.
    runs: tuple[tuple[Point, ...], ...]
    label_y: float | None

    def paths(self) -> list[str]:
        return [" ".join(f"{p.x:.1f},{p.y:.1f}" for p in run) for run in self.runs if run]

    @property
    def end_x(self) -> float:
        return max((run[-1].x for run in self.runs if run), default=0.0)


@dataclass(frozen=True)
class LineChart:
    height: int
    plot: tuple[float, float, float, float]
    ticks: tuple[Tick, ...]
    x_labels: tuple[XLabel, ...]
    lines: tuple[Line, ...]
    markers: bool


@dataclass(frozen=True)
class HBar:
    y: float
    width: float
    label: str
    value: str


@dataclass(frozen=True)
class HBarChart:
    """Horizontal bars, one per value of a breakdown, labelled directly."""

    height: int
    bar_x: float
    bar_height: float
    bars: tuple[HBar, ...]


def nice_maximum(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (1 for 0)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _x_labels(dates: Sequence[str], left: float, band: float) -> tuple[XLabel, ...]:
    """About eight date labels along the axis, the first day always among them."""
    every = max(1, math.ceil(len(dates) / 8))
    return tuple(
        XLabel(left + band * (i + 0.5), label) for i, label in enumerate(dates) if i % every == 0
    )


def stacked_bars(
    dates: Sequence[str],
    values: Sequence[Sequence[int]],
    series: Sequence[str],
    *,
    titles: Sequence[Sequence[str]],
    number: Callable[[float], str] = str,
    height: int = 280,
) -> BarChart:
    """``values[d][s]``: the value of series ``s`` on day ``d``; ``titles`` the same
    shape, each segment's tooltip. ``number`` formats a count for the reader."""
    left, top, right, bottom = LEFT, TOP, WIDTH - 16, height - BOTTOM
    band = (right - left) / max(len(dates), 1)
    top_value = nice_maximum(max((sum(day) for day in values), default=0))
    scale = (bottom - top) / top_value
    segments: list[Segment] = []
    totals: list[Total] = []
    for d, day in enumerate(values):
        x = left + band * d + band * 0.15
        y = bottom
        for s, value in enumerate(day):
            if value:
                h = value * scale
                y -= h
                segments.append(Segment(x, y, band * 0.7, h, s, titles[d][s]))
        if len(dates) <= DETAILED_DAYS and sum(day):
            totals.append(Total(x + band * 0.35, y - 4, number(sum(day))))
    ticks = tuple(
        Tick(bottom - top_value * i / 4 * scale, number(int(top_value * i / 4)))
        for i in range(5)
        if float(top_value * i / 4).is_integer()
    )
    legend_step = (right - left) / max(len(series), 1)
    return BarChart(
        height=height,
        plot=(left, top, right, bottom),
        ticks=ticks,
        x_labels=_x_labels(dates, left, band),
        segments=tuple(segments),
        totals=tuple(totals),
        legend=tuple(
            LegendItem(left + legend_step * i, i, label) for i, label in enumerate(series)
        ),
    )


def rate_lines(
    dates: Sequence[str],
    rates: Mapping[str, Sequence[float | None]],
    *,
    percent: Callable[[float], str],
    titles: Mapping[str, Sequence[str]],
    height: int = 280,
) -> LineChart:
    """One line per series of rates (0 to 1, None for a day without choices), with
    its label at its end, pushed apart from the others."""
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, height - BOTTOM
    band = (right - left) / max(len(dates), 1)

    def y_of(rate: float) -> float:
        return bottom - rate * (bottom - top)

    lines = []
    for s, (label, values) in enumerate(rates.items()):
        runs: list[tuple[Point, ...]] = []
        run: list[Point] = []
        for d, rate in enumerate(values):
            if rate is None:
                if run:
                    runs.append(tuple(run))
                run = []
                continue
            run.append(Point(left + band * (d + 0.5), y_of(rate), titles[label][d]))
        if run:
            runs.append(tuple(run))
        last = next((r for r in reversed(values) if r is not None), None)
        lines.append((s, label, tuple(runs), None if last is None else y_of(last)))
    placed = _spread([y for *_, y in lines], top, bottom)
    return LineChart(
        height=height,
        plot=(left, top, right, bottom),
        ticks=tuple(Tick(y_of(i / 4), percent(i / 4)) for i in range(5)),
        x_labels=_x_labels(dates, left, band),
        lines=tuple(
            Line(s, label, runs, y) for (s, label, runs, _), y in zip(lines, placed, strict=True)
        ),
        markers=len(dates) <= DETAILED_DAYS,
    )


def _spread(ys: Sequence[float | None], top: float, bottom: float) -> list[float | None]:
    """Label heights at least ``LABEL_GAP`` apart, as close as can be to their lines."""
    order = sorted((y, i) for i, y in enumerate(ys) if y is not None)
    placed: list[float | None] = list(ys)
    previous = top - LABEL_GAP
    for y, i in order:
        placed[i] = max(y, previous + LABEL_GAP)
        previous = placed[i]
    overflow = (previous - bottom) if order else 0
    if overflow > 0:
        for _, i in order:
            placed[i] = max(top, placed[i] - overflow)  # type: ignore[operator]
    return placed


def horizontal_bars(
    items: Sequence[tuple[str, int]], *, total: int, value: Callable[[int], str]
) -> HBarChart:
    """``items``: (label, count); each bar's length is its share of ``total``."""
    row, bar_height, label_width = 30, 18, 250
    room = WIDTH - label_width - 140
    bars = tuple(
        HBar(
            y=8 + i * row,
            width=(count / total * room) if total else 0,
            label=label,
            value=value(count),
        )
        for i, (label, count) in enumerate(items)
    )
    return HBarChart(
        height=16 + row * len(items), bar_x=label_width, bar_height=bar_height, bars=bars
    )

"""Charts as SVG text, drawn on the server: series, the threshold line, and the breach windows
shaded. Pure: data in, markup out (every label escaped), no plotting library.

Each chart says what it shows to a screen reader (role="img", <title>, <desc>), and carries its
breach count and threshold as data attributes, so a test reads the drawing, not the page."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 24, 28
COLOURS = ("#1f5fa8", "#8a4b00", "#2d6a2d", "#6b2d8a")  # dark enough for text contrast too
Points = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Line:
    label: str
    points: Points  # (unix seconds, value); NaN is a gap


@dataclass(frozen=True)
class Chart:
    title: str
    lines: tuple[Line, ...]
    threshold: float | None
    comparison: str  # ">" ">=" "<" "<=": which side of the threshold is a breach
    start: float
    end: float
    unit: str = ""  # "s", "%" or "×": how values are printed
    all_lines: bool = False  # a breach needs every line past the threshold (burn windows)


def breaches(value: float, threshold: float, comparison: str) -> bool:
    if math.isnan(value):
        return False
    return {
        ">": value > threshold,
        ">=": value >= threshold,
        "<": value < threshold,
        "<=": value <= threshold,
    }[comparison]


def breach_windows(chart: Chart) -> list[tuple[float, float]]:
    """Contiguous time ranges in which the chart is in breach: one line past the threshold, or
    every line when `all_lines` (a burn rate alerts only when both windows burn)."""
    if chart.threshold is None or not chart.lines:
        return []
    threshold = chart.threshold
    by_time: dict[float, list[bool]] = {}
    for line in chart.lines:
        for t, v in line.points:
            by_time.setdefault(t, []).append(breaches(v, threshold, chart.comparison))
    needed = len(chart.lines) if chart.all_lines else 1
    windows: list[tuple[float, float]] = []
    opened: float | None = None
    last = chart.start
    for t in sorted(by_time):
        hot = sum(by_time[t]) >= needed
        if hot and opened is None:
            opened = t
        elif not hot and opened is not None:
            windows.append((opened, t))
            opened = None
        last = t
    if opened is not None:
        windows.append((opened, last))
    return windows


def draw(chart: Chart) -> str:
    scale = _Scale(chart)
    windows = breach_windows(chart)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{_id(chart)}-t {_id(chart)}-d" class="chart" '
        f'data-breaches="{len(windows)}" data-threshold="{_attr(chart.threshold)}">',
        f'<title id="{_id(chart)}-t">{escape(chart.title)}</title>',
        f'<desc id="{_id(chart)}-d">{escape(_describe(chart, windows))}</desc>',
        f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{scale.width}" '
        f'height="{scale.height}" fill="#fff" stroke="#767676"/>',
    ]
    for t0, t1 in windows:
        x0, x1 = scale.x(t0), scale.x(t1)
        parts.append(
            f'<rect class="breach" x="{x0:.1f}" y="{TOP}" width="{max(x1 - x0, 2.0):.1f}" '
            f'height="{scale.height}" fill="#d93025" fill-opacity="0.18"/>'
        )
    parts += _axes(chart, scale)
    if chart.threshold is not None:
        y = scale.y(chart.threshold)
        parts.append(
            f'<line class="threshold" x1="{LEFT}" x2="{LEFT + scale.width}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#b00020" stroke-dasharray="6 4"/>'
        )
    for index, line in enumerate(chart.lines):
        parts += _series(line, scale, COLOURS[index % len(COLOURS)])
    parts.append("</svg>")
    return "".join(parts)


class _Scale:
    def __init__(self, chart: Chart) -> None:
        values = [v for line in chart.lines for _, v in line.points if not math.isnan(v)]
        if chart.threshold is not None:
            values.append(chart.threshold)
        self.low = min([0.0, *values])
        self.high = max(values, default=1.0) * 1.1 or 1.0
        self.start, self.end = chart.start, max(chart.end, chart.start + 1)
        self.width = WIDTH - LEFT - RIGHT
        self.height = HEIGHT - TOP - BOTTOM

    def x(self, t: float) -> float:
        return LEFT + (t - self.start) / (self.end - self.start) * self.width

    def y(self, v: float) -> float:
        return TOP + self.height - (v - self.low) / (self.high - self.low) * self.height


def _series(line: Line, scale: _Scale, colour: str) -> list[str]:
    runs: list[list[str]] = [[]]
    for t, v in line.points:
        if math.isnan(v):
            runs.append([])
            continue
        runs[-1].append(f"{scale.x(t):.1f},{scale.y(v):.1f}")
    label = escape(line.label, quote=True)
    return [
        f'<polyline class="series" data-label="{label}" points="{" ".join(run)}" '
        f'fill="none" stroke="{colour}" stroke-width="1.5"/>'
        for run in runs
        if run
    ]


def _axes(chart: Chart, scale: _Scale) -> list[str]:
    bottom = TOP + scale.height + 16
    return [
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end" font-size="11">'
        f"{escape(format_value(scale.high, chart.unit))}</text>",
        f'<text x="{LEFT - 4}" y="{TOP + scale.height}" text-anchor="end" font-size="11">'
        f"{escape(format_value(scale.low, chart.unit))}</text>",
        f'<text x="{LEFT}" y="{bottom}" font-size="11">{_clock(chart.start)}</text>',
        f'<text x="{LEFT + scale.width}" y="{bottom}" text-anchor="end" font-size="11">'
        f"{_clock(chart.end)}</text>",
    ]


def format_value(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "-"
    if unit == "%":
        return f"{value * 100:.1f} %"
    if unit == "×":
        return f"{value:.2f}×"
    return f"{value:.3g} {unit}".strip()


def _describe(chart: Chart, windows: Sequence[tuple[float, float]]) -> str:
    limit = f"threshold {chart.comparison} {format_value(chart.threshold, chart.unit)}"
    if not windows:
        return f"{chart.title}: no breach ({limit})"
    spans = ", ".join(f"{_clock(a)} to {_clock(b)}" for a, b in windows)
    return f"{chart.title}: {len(windows)} breach window(s) ({limit}): {spans}"


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S")


def _id(chart: Chart) -> str:
    return "c" + "".join(ch for ch in chart.title.lower() if ch.isalnum())[:40]


def _attr(value: float | None) -> str:
    return "" if value is None else repr(value)

"""Multi-window SLO burn rate: error ratio ÷ (1 − SLO), over a long AND a short window.

The Google SRE workbook's table (chapter "Alerting on SLOs") is the `sre-workbook` preset. All the
windows' error and request rates travel in one query, each part tagged by `label_replace`, so a
burn-rate signal costs one query however many windows it has.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import lru_cache

from trainmaster.config.durations import format_duration as _format_duration
from trainmaster.config.model import BurnWindow, Signal
from trainmaster.gates.judge import Finding, Missing
from trainmaster.gates.port import Series
from trainmaster.gates.verdict import Verdict

PART = "tm_part"  # the label that tags each part of the combined query

# Judging a fleet names the same few windows thousands of times.
format_duration = lru_cache(maxsize=64)(_format_duration)

SRE_WORKBOOK: tuple[BurnWindow, ...] = (
    BurnWindow(long=timedelta(hours=1), short=timedelta(minutes=5), factor=14.4),
    BurnWindow(long=timedelta(hours=6), short=timedelta(minutes=30), factor=6),
    BurnWindow(long=timedelta(days=1), short=timedelta(hours=2), factor=3),
    BurnWindow(long=timedelta(days=3), short=timedelta(hours=6), factor=1),
)


def burn_windows(signal: Signal) -> list[BurnWindow]:
    rows = list(signal.windows)
    if signal.preset == "sre-workbook":
        rows += [w for w in SRE_WORKBOOK if w not in rows]
    return rows


def durations(rows: Sequence[BurnWindow]) -> list[timedelta]:
    return sorted({w for row in rows for w in (row.long, row.short)})


def burn_query(
    errors: str, total: str, rows: Sequence[BurnWindow], fill: Callable[[str, timedelta], str]
) -> str:
    """One PromQL expression carrying errors and totals for every window, tagged by PART."""
    parts = []
    for window in durations(rows):
        name = format_duration(window)
        for role, query in (("errors", errors), ("total", total)):
            parts.append(f'label_replace({fill(query, window)}, "{PART}", "{role}:{name}", "", "")')
    return " or ".join(parts)


Group = tuple[tuple[str, str], ...]
Ratios = dict[str, dict[Group, dict[int, float]]]  # window -> label group -> instant (ms) -> ratio


def _ratios(series: Sequence[Series]) -> Ratios:
    counts: dict[tuple[str, str, tuple[tuple[str, str], ...]], dict[int, float]] = {}
    for s in series:
        role, _, window = s.labels.get(PART, "").partition(":")
        group = tuple(sorted((k, v) for k, v in s.labels.items() if k not in (PART, "__name__")))
        counts[(role, window, group)] = {round(t * 1000): v for t, v in s.points}
    out: dict[str, dict[tuple[tuple[str, str], ...], dict[int, float]]] = defaultdict(dict)
    for (role, window, group), totals in counts.items():
        if role != "total":
            continue
        errors = counts.get(("errors", window, group), {})
        # A request rate with no error series is zero errors, not missing data.
        out[window][group] = {t: _ratio(errors.get(t, 0.0), v) for t, v in totals.items()}
    return dict(out)


def _ratio(errors: float, total: float) -> float:
    if math.isnan(errors) or math.isnan(total) or total == 0:
        return math.nan  # 0/0: no traffic is no data
    return errors / total


def judge_burn(
    series: Sequence[Series], *, end: float, step: float, slo: float, rows: Sequence[BurnWindow]
) -> Finding:
    ratios = _ratios(series)
    budget = 1 - slo
    instants = sorted({t for groups in ratios.values() for g in groups.values() for t in g})
    end_ms = round(end * 1000)

    def burns(row: BurnWindow, t: int) -> list[tuple[float, float]]:
        longs = ratios.get(format_duration(row.long), {})
        shorts = ratios.get(format_duration(row.short), {})
        pairs = []
        for group, points in longs.items():
            short = shorts.get(group, {}).get(t, math.nan)
            pairs.append((points.get(t, math.nan) / budget, short / budget))
        return pairs

    def fires(t: int) -> bool:
        return any(
            long > row.factor and short > row.factor
            for row in rows
            for long, short in burns(row, t)
        )

    effective = [
        (min(long, short), row)
        for row in rows
        for long, short in burns(row, end_ms)
        if not (math.isnan(long) or math.isnan(short))
    ]
    points = tuple((t / 1000, 1.0 if fires(t) else 0.0) for t in instants)
    if fires(end_ms):
        started = end_ms
        for t in reversed([t for t in instants if t <= end_ms]):
            if not fires(t):
                break
            started = t
        value, row = max(effective, key=lambda e: e[0] / e[1].factor)
        why = f"burn {value:.3g}x over both {_name(row)} exceeds {row.factor:g}x"
        return Finding(
            Verdict.FAIL,
            why,
            value=value,
            threshold=row.factor,
            breach_started_at=started / 1000,
            points=points,
        )
    lacking = [
        _name(r)
        for r in rows
        if not any(not (math.isnan(a) or math.isnan(b)) for a, b in burns(r, end_ms))
    ]
    if lacking:
        why = f"no traffic data for windows {', '.join(lacking)}"
        return Finding(None, why, Missing.NO_DATA, points=points)
    value, row = max(effective, key=lambda e: e[0] / e[1].factor)
    why = f"burn {value:.3g}x over {_name(row)} within {row.factor:g}x"
    return Finding(Verdict.PASS, why, value=value, threshold=row.factor, points=points)


def window_text(rows: Sequence[BurnWindow]) -> str:
    return ", ".join(_name(r) for r in rows)


def _name(row: BurnWindow) -> str:
    return f"{format_duration(row.long)}/{format_duration(row.short)}"

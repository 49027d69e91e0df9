"""Sustained and window verdicts over series: purely computational, no I/O.

Timestamps are unix seconds on the query's step grid, ending exactly at the evaluation instant.
A point that is missing or NaN (Prometheus gives NaN for 0/0) is *no data*, never a pass.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from trainmaster.gates.port import Series
from trainmaster.gates.verdict import Verdict

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class Missing(StrEnum):
    NONE = ""
    NO_DATA = "no_data"  # nothing to judge: the policy's no_data decides
    GAP = "gap"  # partial data that cannot prove a pass: fail or inconclusive, never pass


@dataclass(frozen=True)
class Finding:
    verdict: Verdict | None  # None: decided by the policy's no_data (see `missing`)
    reason: str
    missing: Missing = Missing.NONE
    value: float | None = None
    breach_started_at: float | None = None
    points: tuple[tuple[float, float], ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    threshold: float | None = None  # set when the finding picked its own (burn-rate rows)


def breaches(value: float, threshold: float, comparison: str) -> bool:
    return not math.isnan(value) and _COMPARE[comparison](value, threshold)


def grid(end: float, step: float, count: int) -> list[float]:
    """`count` step-aligned instants ending at `end`, oldest first."""
    return [end - (count - 1 - k) * step for k in range(count)]


def by_instant(series: Series) -> dict[int, float]:
    """Points keyed by millisecond, NaN dropped: a NaN is a hole, not a value."""
    return {round(t * 1000): v for t, v in series.points if not math.isnan(v)}


def run_start(
    values: Mapping[int, float], end: float, step: float, threshold: float, comparison: str
) -> float | None:
    """Start of the unbroken run of breaching points that reaches `end`, or None."""
    start = None
    t = round(end * 1000)
    step_ms = round(step * 1000)
    while t in values and breaches(values[t], threshold, comparison):
        start = t / 1000
        t -= step_ms
    return start


def judge_sustained(
    series: Sequence[Series],
    *,
    end: float,
    step: float,
    duration: float,
    threshold: float,
    comparison: str = ">",
) -> Finding:
    """Fail exactly when a Prometheus alerting rule `expr > threshold` with `for: duration`,
    evaluated every `step`, would fire at `end`: every point of [end - duration, end] breaches.

    Prometheus (rules/alerting.go, `AlertingRule.Eval`) makes an alert pending at the first
    evaluation where the expression returns, with `ActiveAt` = that evaluation, and fires it at
    the first evaluation where `now - ActiveAt >= for`; an evaluation that returns nothing
    resets it. So firing needs duration/step + 1 consecutive breaching evaluations, both ends
    included. A non-breaching point passes; a hole among only breaching points is a gap."""
    count = max(0, round(duration / step)) + 1
    findings = [
        _sustained_one(s, grid(end, step, count), step, threshold, comparison) for s in series
    ]
    return worst(findings, comparison, "no series returned")


def _sustained_one(
    series: Series, instants: list[float], step: float, threshold: float, comparison: str
) -> Finding:
    values = by_instant(series)
    used = tuple((t, values.get(round(t * 1000), math.nan)) for t in instants)
    present = [(t, v) for t, v in used if not math.isnan(v)]
    holes = [t for t, v in used if math.isnan(v)]
    end = instants[-1]
    latest = values.get(round(end * 1000))
    base = Finding(
        None,
        "",
        points=used,
        labels=series.labels,
        value=latest,
        breach_started_at=run_start(values, end, step, threshold, comparison),
    )
    if not present:
        return replace(base, reason="no data in the window", missing=Missing.NO_DATA)
    if latest is None:
        return replace(base, reason="no data at the end of the window", missing=Missing.GAP)
    calm = [t for t, v in present if not breaches(v, threshold, comparison)]
    if calm:
        why = f"{len(calm)} of {len(used)} points within the threshold"
        return replace(base, verdict=Verdict.PASS, reason=why)
    if holes:
        why = f"{len(holes)} of {len(used)} points missing; every present point breaches"
        return replace(base, reason=why, missing=Missing.GAP)
    return replace(base, verdict=Verdict.FAIL, reason=f"all {len(used)} points breach")


def judge_window(
    series: Sequence[Series],
    *,
    end: float,
    step: float,
    threshold: float,
    comparison: str = ">",
) -> Finding:
    """The value at `end` (one ratio over the whole window) against the threshold."""
    findings = [_window_one(s, end, step, threshold, comparison) for s in series]
    return worst(findings, comparison, "no series returned")


def _window_one(
    series: Series, end: float, step: float, threshold: float, comparison: str
) -> Finding:
    values = by_instant(series)
    latest = values.get(round(end * 1000))
    points = tuple(sorted((k / 1000, v) for k, v in values.items()))
    if latest is None:
        had_nan = any(math.isnan(v) for _, v in series.points)
        why = "no value at the evaluation instant" + (" (0/0: no traffic)" if had_nan else "")
        return Finding(None, why, Missing.NO_DATA, points=points, labels=series.labels)
    started = run_start(values, end, step, threshold, comparison)
    verdict = Verdict.FAIL if breaches(latest, threshold, comparison) else Verdict.PASS
    word = "breaches" if verdict is Verdict.FAIL else "within"
    return Finding(
        verdict,
        f"value {latest:.6g} {word} the threshold",
        value=latest,
        breach_started_at=started,
        points=points,
        labels=series.labels,
    )


def worst(findings: Sequence[Finding], comparison: str, empty: str) -> Finding:
    """Across series: any fail fails; then missing data; a pass only when every series passes
    (the reported one is the closest to breaching)."""
    if not findings:
        return Finding(None, empty, Missing.NO_DATA)
    fails = [f for f in findings if f.verdict is Verdict.FAIL]
    if fails:
        return min(fails, key=lambda f: f.breach_started_at or math.inf)
    for kind in (Missing.GAP, Missing.NO_DATA):
        found = [f for f in findings if f.missing is kind]
        if found:
            return found[0]
    sign = 1.0 if comparison in (">", ">=") else -1.0
    return max(findings, key=lambda f: sign * (f.value if f.value is not None else -math.inf))

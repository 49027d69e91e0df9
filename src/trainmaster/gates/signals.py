"""Evaluating one signal at one instant: build its one query, fetch through the metrics port,
judge with the pure functions, and turn the finding into a SignalResult."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from trainmaster.config.model import NoData, Signal, SignalKind, rate_interval
from trainmaster.errors import ExternalError, PolicyError
from trainmaster.gates.burn import (
    burn_query,
    burn_windows,
    format_duration,
    judge_burn,
    window_text,
)
from trainmaster.gates.inputs import InputResult
from trainmaster.gates.judge import Finding, Missing, judge_sustained, judge_window
from trainmaster.gates.port import Metrics, Series
from trainmaster.gates.promql_text import split_ratio
from trainmaster.gates.queries import Scope, fill
from trainmaster.gates.ratio import PART, ratio_query, ratio_series
from trainmaster.gates.result import SignalResult
from trainmaster.gates.verdict import Verdict

SCRAPE_INTERVAL = timedelta(seconds=15)  # the policy's default (metrics.scrape_interval)
HISTORY = 4  # extra points before a window or burn decision, to date when a breach started
MAX_POINTS = 11_000  # Prometheus refuses range queries with more points per series


def steps_in(span: timedelta, step: timedelta) -> int:
    """Evaluation steps until a `for: span` alert evaluated every `step` fires: the first
    evaluation at or after ActiveAt + span, so a span that is not a whole number of steps rounds
    up (tolerant of float error: 5m / 30s is 10, not 10.000001)."""
    return max(0, math.ceil(span / step - 1e-9))


def plan_query(
    name: str,
    signal: Signal,
    scope: Scope,
    end: float,
    scrape_interval: timedelta = SCRAPE_INTERVAL,
) -> tuple[str, float, timedelta]:
    """The one query of a metric signal for `scope`, and its range start (aligned so the last
    point is exactly `end`) and step."""
    step = signal.step
    rate = rate_interval(scrape_interval, step)
    if signal.kind is SignalKind.BURN_RATE:
        assert signal.errors_query and signal.total_query  # the model guarantees them
        rows = burn_windows(signal)
        query = burn_query(
            signal.errors_query,
            signal.total_query,
            rows,
            lambda q, w: fill(q, scope, w, signal=name, rate=rate),
        )
        return _scoped(name, query, scope), end - HISTORY * step.total_seconds(), step
    assert signal.query is not None
    query = fill(signal.query, scope, signal.window, signal=name, rate=rate)
    if signal.kind is SignalKind.WINDOW and (parts := split_ratio(query)):
        query = ratio_query(*parts)
    span = signal.duration if signal.kind is SignalKind.SUSTAINED else signal.window
    assert span is not None
    # Extra history dates the start of a breach: half the span more for a sustained signal.
    count = HISTORY
    if signal.kind is SignalKind.SUSTAINED:
        needed = steps_in(span, step)
        if needed + 1 >= MAX_POINTS:
            raise PolicyError(
                f"signals.{name}: for/step is {needed + 1} points; Prometheus answers at most "
                f"{MAX_POINTS - 1} per series: use a longer step"
            )
        count = min(max(needed * 3 // 2, needed, HISTORY), MAX_POINTS - 2)
    return _scoped(name, query, scope), end - count * step.total_seconds(), step


def _scoped(name: str, query: str, scope: Scope) -> str:
    """The query narrowed to the scope's colour; a query that cannot be narrowed is refused
    rather than measured across both colours."""
    from trainmaster.gates.promql import Unsupported
    from trainmaster.gates.scope import scoped

    try:
        return scoped(query, scope.selector)
    except Unsupported as e:
        raise PolicyError(
            f"signals.{name}: cannot measure only the {scope.colour} colour ({e}); keep the "
            "query inside the PromQL subset trainmaster reads (docs/policy.md)"
        ) from e


def evaluate_signal(
    name: str,
    signal: Signal,
    *,
    metrics: Metrics | None,
    at: datetime,
    scope: Scope,
    migrations: InputResult | None = None,
    scrape_interval: timedelta = SCRAPE_INTERVAL,
) -> SignalResult:
    if signal.kind is SignalKind.MIGRATION:
        return from_input(name, migrations, signal.no_data, kind=signal.kind.value)
    end = round(at.timestamp(), 3)
    query, start, step = plan_query(name, signal, scope, end, scrape_interval)
    if metrics is None:
        finding = Finding(None, "no metrics source configured", Missing.NO_DATA)
        return _result(name, signal, finding, query, scope)
    try:
        series = metrics.query_range(
            query, datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC), step
        )
    except PolicyError as e:
        raise PolicyError(f"signals.{name}: {e.message}") from e
    except ExternalError as e:
        return unavailable(name, signal, e, query, scope)
    return conclude(name, signal, series, end, query, scope)


def conclude(
    name: str, signal: Signal, found: list[Series], end: float, query: str, scope: Scope
) -> SignalResult:
    """The result of a metric signal from the series its query returned."""
    return _result(name, signal, judge(signal, found, end), query, scope)


def unavailable(
    name: str, signal: Signal, error: ExternalError, query: str, scope: Scope
) -> SignalResult:
    finding = Finding(None, f"metrics unavailable: {error.message}", Missing.NO_DATA)
    return _result(name, signal, finding, query, scope)


def judge(signal: Signal, found: list[Series], end: float) -> Finding:
    step = signal.step.total_seconds()
    if signal.kind is SignalKind.SUSTAINED:
        assert signal.duration is not None and signal.threshold is not None
        return judge_sustained(
            found,
            end=end,
            step=step,
            duration=steps_in(signal.duration, signal.step) * step,
            threshold=signal.threshold,
            comparison=signal.comparison,
        )
    if signal.kind is SignalKind.WINDOW:
        assert signal.threshold is not None
        if any(PART in s.labels for s in found):
            found = ratio_series(found)
        return judge_window(
            found, end=end, step=step, threshold=signal.threshold, comparison=signal.comparison
        )
    assert signal.slo is not None
    return judge_burn(found, end=end, step=step, slo=signal.slo, rows=burn_windows(signal))


def resolve(finding: Finding, no_data: NoData) -> tuple[Verdict, str]:
    """The policy decides missing data; a gap (partial data) is never a pass."""
    if finding.verdict is not None:
        return finding.verdict, finding.reason
    if finding.missing is Missing.GAP:
        verdict = Verdict.FAIL if no_data is NoData.FAIL else Verdict.INCONCLUSIVE
    else:
        verdict = Verdict(no_data.value)
    return verdict, f"{finding.reason} (no_data: {no_data.value})"


def _result(
    name: str, signal: Signal, finding: Finding, query: str, scope: Scope | None = None
) -> SignalResult:
    verdict, reason = resolve(finding, signal.no_data)
    window: str | None = None
    if signal.kind is SignalKind.BURN_RATE:
        window = window_text(burn_windows(signal))
    else:
        span = signal.duration or signal.window
        window = format_duration(span) if span else None
    return SignalResult(
        name=name,
        verdict=verdict,
        reason=f"{name}: {reason}",
        kind=signal.kind.value,
        value=finding.value,
        threshold=finding.threshold if finding.threshold is not None else signal.threshold,
        comparison=signal.comparison,
        window=window,
        breach_started_at=finding.breach_started_at,
        query=query,
        points=finding.points,
        colour=scope.colour if scope else None,
        selector=(scope.selector or None) if scope else None,
    )


def from_input(
    name: str, result: InputResult | None, no_data: NoData, *, kind: str
) -> SignalResult:
    """A gate decided by an external result; no result at all is no data, never a pass."""
    if result is None:
        verdict = Verdict(no_data.value)
        why = f"{name}: no result given (no_data: {no_data.value})"
        return SignalResult(name=name, verdict=verdict, reason=why, kind=kind)
    if result.ok is None:
        return SignalResult(name, Verdict.INCONCLUSIVE, f"{name}: {result.summary}", kind=kind)
    verdict = Verdict.PASS if result.ok else Verdict.FAIL
    detail = "; ".join(result.failures[:5])
    why = f"{name}: {result.summary}" + (f" — {detail}" if detail else "")
    return SignalResult(name=name, verdict=verdict, reason=why, kind=kind, query=result.source)

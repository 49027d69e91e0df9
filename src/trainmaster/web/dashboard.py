"""The golden-signal dashboard of one stage: each of the policy's metric signals queried over
the charted span through the gates' metrics port (Prometheus or the embedded scraper), as
charts with the signal's own threshold. A burn-rate signal draws both windows against its
factor, and is in breach only while both burn."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from trainmaster.config.delivery import Signal, SignalKind, rate_interval
from trainmaster.config.model import Policy
from trainmaster.errors import TrainmasterError, UsageError
from trainmaster.evidence.dashboards import chart_span
from trainmaster.gates.burn import burn_windows
from trainmaster.gates.port import Metrics, Series
from trainmaster.gates.queries import Scope, fill
from trainmaster.web.svg import Chart, Line, breach_windows, draw

MAX_POINTS = 240  # per line: enough for a 640 px chart, small enough for a quick query


def stage_variables(policy: Policy, stage: str) -> Scope:
    spec = policy.stages.get(stage)
    if spec is None:
        raise UsageError(f"no stage {stage!r}; known: {', '.join(policy.stages)}")
    return Scope(service=spec.service, namespace=spec.namespace)


PanelQueries = tuple[str, list[tuple[str, str]], float | None, bool]


def panel_queries(
    name: str, signal: Signal, variables: Scope, scrape: timedelta = timedelta(seconds=15)
) -> list[PanelQueries]:
    """(title, [(line label, PromQL)], threshold, all lines must breach) per chart; the
    queries filled as the gates fill them (`$rate_interval` from the policy's scrape interval)."""
    if signal.kind is SignalKind.MIGRATION:
        return []
    rate = rate_interval(scrape, signal.step)
    if signal.kind is SignalKind.BURN_RATE:
        assert signal.errors_query and signal.total_query and signal.slo
        budget = 1 - signal.slo
        charts: list[PanelQueries] = []
        for row in burn_windows(signal):
            lines = [
                (
                    f"{_text(window)} window",
                    f"({fill(signal.errors_query, variables, window, signal=name, rate=rate)}) / "
                    f"({fill(signal.total_query, variables, window, signal=name, rate=rate)}) / "
                    f"{budget!r}",
                )
                for window in (row.long, row.short)
            ]
            title = f"{name} ({_text(row.long)}/{_text(row.short)} at {row.factor:g}×)"
            charts.append((title, lines, float(row.factor), True))
        return charts
    assert signal.query is not None
    query = fill(signal.query, variables, signal.window, signal=name, rate=rate)
    return [(name, [(name, query)], signal.threshold, False)]


def unit_of(signal: Signal) -> str:
    if signal.kind is SignalKind.BURN_RATE:
        return "×"
    query = signal.query or ""
    if "histogram_quantile" in query or "duration_seconds" in query:
        return "s"
    return "%" if signal.threshold is not None and signal.threshold <= 1 else ""


def dashboard(policy: Policy, metrics: Metrics, stage: str, now: datetime) -> dict[str, Any]:
    variables = stage_variables(policy, stage)
    span = chart_span(policy)
    start, end = now - span.before - span.after, now
    step = max(span.step, (end - start) / MAX_POINTS)
    panels = []
    for name, signal in sorted(policy.signals.items()):
        scrape = policy.metrics.scrape_interval
        for title, lines, threshold, all_lines in panel_queries(name, signal, variables, scrape):
            drawn, problem = _lines(metrics, lines, start, end, step)
            chart = Chart(
                title=title,
                lines=tuple(drawn),
                threshold=threshold,
                comparison=signal.comparison,
                start=start.timestamp(),
                end=end.timestamp(),
                unit=unit_of(signal),
                all_lines=all_lines,
            )
            panels.append(
                {
                    "signal": name,
                    "title": title,
                    "description": signal.description,
                    "threshold": threshold,
                    "unit": chart.unit,
                    "queries": [q for _, q in lines],
                    "breaches": [[a, b] for a, b in breach_windows(chart)],
                    "problem": problem,
                    "svg": draw(chart),
                    "latest": {line.label: _last(line) for line in drawn},
                }
            )
    return {"stage": stage, "service": variables.service, "panels": panels}


def _lines(
    metrics: Metrics,
    queries: list[tuple[str, str]],
    start: datetime,
    end: datetime,
    step: timedelta,
) -> tuple[list[Line], str]:
    drawn: list[Line] = []
    for label, query in queries:
        try:
            found: list[Series] = metrics.query_range(query, start, end, step)
        except TrainmasterError as e:
            return drawn, e.message
        for series in found:
            drawn.append(Line(label, tuple(series.points)))
    return drawn, "" if drawn else "no data"


def _last(line: Line) -> float | None:
    values = [v for _, v in line.points if not math.isnan(v)]
    return values[-1] if values else None


def _text(window: timedelta) -> str:
    from trainmaster.config.durations import format_duration

    return format_duration(window)

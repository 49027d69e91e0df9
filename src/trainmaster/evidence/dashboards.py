"""Golden-signal charts for the bundle: each gate's evidence points, and each signal around the
cut and the promotion (the seed's "export stage→prod dashboards at cut time")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from trainmaster.config.model import Policy, Signal
from trainmaster.errors import TrainmasterError
from trainmaster.evidence.charts import Line, Panel, points_of, render
from trainmaster.evidence.contents import Contents, signals_of, slug
from trainmaster.evidence.record import GateResult, TrainRecord, belongs_to
from trainmaster.gates.port import Metrics

DEFAULT_SPAN = timedelta(minutes=5)  # a policy without timed signals


@dataclass(frozen=True)
class Span:
    """How much of a signal a moment's chart shows, at what resolution: the policy's longest
    window before the moment (what the gates looked at), a quarter of it after, at the finest
    step a signal uses. The seed gives 1 h / 15 min / 30 s; a seconds-scaled policy, seconds."""

    before: timedelta
    after: timedelta
    step: timedelta


def chart_span(policy: Policy) -> Span:
    windows = [
        w
        for signal in policy.signals.values()
        for w in (signal.duration, signal.window, *(b.long for b in signal.windows))
        if w is not None
    ]
    longest = max(windows, default=DEFAULT_SPAN)
    steps = [s.step for s in policy.signals.values() if s.kind.value != "migration"]
    return Span(longest, longest / 4, min(steps, default=longest / 120))


@dataclass(frozen=True)
class Moment:
    name: str  # "cut" | "promotion"
    at: datetime
    stage: str | None


def charted(gates: Sequence[GateResult]) -> list[GateResult]:
    """The results worth a chart: where each gate's verdict changed, and its last result.

    A post-promotion watch stores a result every interval; charting each one would make dozens of
    near-identical pictures (and minutes of rendering). Every result still has its JSON file."""
    chosen: list[GateResult] = []
    last: dict[tuple[str, str], GateResult] = {}
    for gate in sorted(gates, key=lambda g: g.id):
        key = (gate.stage, gate.gate)
        before = last.get(key)
        if before is not None and before.verdict != gate.verdict:
            chosen.append(gate)
        last[key] = gate
    chosen.extend(g for g in last.values() if g not in chosen)
    return sorted(chosen, key=lambda g: g.id)


def gate_charts(record: TrainRecord, contents: Contents) -> None:
    for gate in charted(record.gates):
        panels = []
        for signal in signals_of(gate.evidence):
            points = points_of(signal.get("points"))
            if not points:
                continue
            threshold = signal.get("threshold")
            panels.append(
                Panel(
                    title=f"{signal.get('name', '?')}: {signal.get('verdict', '?')}",
                    lines=(Line(str(signal.get("name", "value")), points),),
                    threshold=float(threshold) if isinstance(threshold, int | float) else None,
                )
            )
        if panels:
            path = f"charts/{slug(gate.stage)}-{slug(gate.gate)}-{gate.id}.png"
            title = f"{record.train.id} · {gate.stage} · {gate.gate}: {gate.verdict}"
            contents.files[path] = render(title, panels)
            contents.gate_charts[gate.id] = path


def moments(record: TrainRecord) -> list[Moment]:
    """When the train was cut and when it was last promoted, from the audit trail first."""
    mine = [e for e in record.audit.events if belongs_to(e.target, record.train.id)]
    cuts = [e for e in mine if "cut" in e.action or e.action.endswith("hotfix")]
    cut_at = _parse(cuts[0].at) if cuts else record.train.created_at
    first_stage = record.stage_runs[0].stage if record.stage_runs else None
    found = [Moment("cut", cut_at, first_stage)]
    promotions = [e for e in mine if "promot" in e.action]
    if promotions:
        last = promotions[-1]
        stage = last.target.replace(":", "/").split("/")[-1]
        known = {r.stage for r in record.stage_runs}
        found.append(Moment("promotion", _parse(last.at), stage if stage in known else None))
    elif len(record.stage_runs) > 1:
        run = record.stage_runs[-1]
        found.append(Moment("promotion", run.started_at, run.stage))
    return found


def moment_charts(
    record: TrainRecord, policy: Policy, metrics: Metrics, contents: Contents, now: datetime
) -> None:
    span = chart_span(policy)
    for moment in moments(record):
        stage = policy.stages.get(moment.stage or "")
        values = {
            "$service": stage.service if stage else policy.project.name,
            "$namespace": stage.namespace if stage else "",
        }
        start, end = moment.at - span.before, min(moment.at + span.after, now)
        panels = []
        for name, signal in sorted(policy.signals.items()):
            query = _query(signal, values)
            if query is None:
                continue
            try:
                series = metrics.query_range(query, start, end, span.step)
            except TrainmasterError as e:
                contents.notices.append(f"chart {moment.name}/{name}: {e}")
                continue
            except Exception as e:  # a metrics backend's bug must not cost the whole bundle
                contents.notices.append(f"chart {moment.name}/{name}: {type(e).__name__}: {e}")
                continue
            lines = tuple(Line(_label(s.labels) or name, tuple(s.points)) for s in series)
            panels.append(Panel(name, lines, signal.threshold, moment.at.timestamp()))
        if panels:
            path = f"charts/{moment.name}-{slug(moment.stage or 'all')}.png"
            title = f"{record.train.id} at {moment.name} ({moment.at:%Y-%m-%d %H:%M} UTC)"
            contents.files[path] = render(title, panels)
            contents.moment_charts.append((moment.name, path))


def _query(signal: Signal, values: dict[str, str]) -> str | None:
    if signal.query:
        text = signal.query
    elif signal.errors_query and signal.total_query:
        text = f"({signal.errors_query}) / ({signal.total_query})"
    else:
        return None
    window = signal.window or signal.duration or timedelta(minutes=5)
    values = {**values, "$window": f"{int(window.total_seconds())}s"}
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _label(labels: object) -> str:
    if not isinstance(labels, dict) or not labels:
        return ""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "__name__")


def _parse(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))

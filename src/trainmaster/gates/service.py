"""Evaluating a stage's gates: metric signals through the metrics port (one query each, sent
concurrently; for several services one query per signal for all of them, see `gates.fleet`),
the other gates from their inputs. Results are stored in `gate_results`."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from trainmaster.config.model import BUILTIN_GATES, NoData, Policy, Signal, SignalKind
from trainmaster.errors import ExternalError, PolicyError, UsageError
from trainmaster.gates.inputs import GateInputs, LoadLimits
from trainmaster.gates.queries import Scope
from trainmaster.gates.result import GateReport, SignalResult
from trainmaster.gates.signals import (
    conclude,
    evaluate_signal,
    from_input,
    plan_query,
    unavailable,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from trainmaster.gates.port import Metrics, Series

_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")  # written into PromQL strings as it is
PARALLEL_QUERIES = 8  # enough to hide Prometheus' per-query latency without flooding it


def stage_gates(policy: Policy, stage: str, only: Collection[str] | None = None) -> list[str]:
    gates = list(policy.stage(stage).gates)
    if only is None:
        return gates
    unknown = [g for g in only if g not in gates]
    if unknown:
        raise UsageError(
            f"unknown gate {unknown[0]!r} for stage {stage!r}; its gates: {', '.join(gates)}"
        )
    return [g for g in gates if g in only]


def evaluate_stage(
    policy: Policy,
    stage: str,
    *,
    metrics: Metrics | None,
    at: datetime,
    service: str | None = None,
    inputs: GateInputs = GateInputs(),  # noqa: B008 - frozen, so a shared default is safe
    only: Collection[str] | None = None,
    scope: Scope | None = None,
) -> GateReport:
    """Every gate of `stage` (or the `only` subset) at instant `at`, for `scope` (default: the
    whole of `service`, itself by default the stage's)."""
    scope = scope or Scope(service or policy.stage(stage).service, policy.stage(stage).namespace)
    return _evaluate(policy, stage, [(scope, "")], metrics, at, inputs, only)


def evaluate_services(
    policy: Policy,
    stage: str,
    services: Sequence[str],
    *,
    metrics: Metrics | None,
    at: datetime,
    inputs: GateInputs = GateInputs(),  # noqa: B008
    only: Collection[str] | None = None,
    prefix: bool = True,
) -> GateReport:
    """The stage's gates for several services in one run; results are named `service/gate`."""
    namespace = policy.stage(stage).namespace
    scopes = [(Scope(svc, namespace), f"{svc}/" if prefix else "") for svc in services]
    return _evaluate(policy, stage, scopes, metrics, at, inputs, only)


def _evaluate(
    policy: Policy,
    stage: str,
    scopes: Sequence[tuple[Scope, str]],
    metrics: Metrics | None,
    at: datetime,
    inputs: GateInputs,
    only: Collection[str] | None,
) -> GateReport:
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    gates = stage_gates(policy, stage, only)
    jobs = [(prefix + gate, gate, scope) for scope, prefix in scopes for gate in gates]
    scrape = policy.metrics.scrape_interval
    fleet = fleet_results(policy, gates, scopes, metrics, at) if len(scopes) > 1 else {}

    def run(job: tuple[str, str, Scope]) -> SignalResult:
        label, gate, scope = job
        if label in fleet:
            return fleet[label]
        signal = policy.signals.get(gate)
        if signal is None:
            return _builtin(label, gate, inputs)
        result = evaluate_signal(
            gate,
            signal,
            metrics=metrics,
            at=at,
            scope=scope,
            migrations=inputs.migrations,
            scrape_interval=scrape,
        )
        return result if label == gate else _renamed(result, label)

    metric_jobs = sum(1 for label, g, _ in jobs if g in policy.signals and label not in fleet)
    if metric_jobs > 1:
        with ThreadPoolExecutor(PARALLEL_QUERIES) as pool:
            results = list(pool.map(run, jobs))
    else:
        results = [run(job) for job in jobs]
    return GateReport(stage=stage, evaluated_at=at, signals=results)


def fleet_results(
    policy: Policy,
    gates: Sequence[str],
    scopes: Sequence[tuple[Scope, str]],
    metrics: Metrics | None,
    at: datetime,
) -> dict[str, SignalResult]:
    """Results of every service for each metric gate whose query can be sent once for the whole
    fleet (`gates.fleet`), keyed by result name; gates missing here go one query per service."""
    from trainmaster.config.limits import MAX_QUERY_CHARS
    from trainmaster.gates.fleet import PLACEHOLDER, fleet_queries, split

    if metrics is None or any(scope.selector for scope, _ in scopes):
        return {}
    namespace, scrape = scopes[0][0].namespace, policy.metrics.scrape_interval
    services = [scope.service for scope, _ in scopes]
    end = round(at.timestamp(), 3)
    # A backend says how long a query it accepts; by default the embedded engine's bound.
    limit = getattr(metrics, "max_query_chars", MAX_QUERY_CHARS)
    plans = []
    for gate in gates:
        signal = policy.signals.get(gate)
        if signal is None or signal.kind is SignalKind.MIGRATION:
            continue
        query, start, step = plan_query(gate, signal, Scope(PLACEHOLDER, namespace), end, scrape)
        if fleet := fleet_queries(query, services, limit):
            plans.append((gate, signal, query, fleet, start, step))

    def fetch(
        plan: tuple[str, Signal, str, list[tuple[Sequence[str], str]], float, timedelta],
    ) -> list[tuple[str, SignalResult]]:
        gate, signal, template, queries, start, step = plan
        found: dict[str, list[Series]] = {}
        error = None
        try:
            moment = datetime.fromtimestamp
            for chunk, query in queries:
                series = metrics.query_range(query, moment(start, UTC), moment(end, UTC), step)
                found.update(split(series, chunk))
        except PolicyError as e:
            raise PolicyError(f"signals.{gate}: {e.message}") from e
        except ExternalError as e:
            error = e
        out = []
        for scope, prefix in scopes:
            # The evidence keeps the per-service query: what the fleet query computed for it.
            own = own_query(template, gate, signal, scope, end, scrape)
            if error is not None:
                result = unavailable(gate, signal, error, own, scope)
            else:
                result = conclude(gate, signal, found[scope.service], end, own, scope)
            label = prefix + gate
            out.append((label, result if label == gate else _renamed(result, label)))
        return out

    with ThreadPoolExecutor(PARALLEL_QUERIES) as pool:
        return {label: r for results in pool.map(fetch, plans) for label, r in results}


def own_query(
    template: str, gate: str, signal: Signal, scope: Scope, end: float, scrape: timedelta
) -> str:
    """The per-service query of `scope`: the placeholder's query with the name put in (what
    plan_query gives for a plain Kubernetes name, without building it again per service)."""
    from trainmaster.gates.fleet import PLACEHOLDER

    if _PLAIN_NAME.match(scope.service):
        return template.replace(PLACEHOLDER, scope.service)
    return plan_query(gate, signal, scope, end, scrape)[0]


def _builtin(label: str, gate: str, inputs: GateInputs) -> SignalResult:
    assert gate in BUILTIN_GATES  # the policy model rejects any other unknown gate
    return from_input(label, inputs.for_gate(gate), NoData.INCONCLUSIVE, kind=gate)


def _renamed(result: SignalResult, label: str) -> SignalResult:
    from dataclasses import replace

    return replace(result, name=label, reason=label + result.reason[result.reason.find(":") :])


def load_limits(policy: Policy, stage: str) -> LoadLimits:
    """What a Locust run is held to: the stage's error-rate and p95 thresholds."""
    error, p95 = None, None
    for gate in policy.stage(stage).gates:
        signal = policy.signals.get(gate)
        if signal is None or signal.threshold is None or signal.comparison not in (">", ">="):
            continue
        if signal.kind is SignalKind.WINDOW and error is None:
            error = signal.threshold
        elif signal.kind is SignalKind.SUSTAINED and "histogram_quantile(0.95" in (
            signal.query or ""
        ):
            p95 = p95 if p95 is not None else signal.threshold
    return LoadLimits(max_error_ratio=error, max_p95_seconds=p95)


def record_report(
    session: Session, report: GateReport, train_id: str | None, stage: str, digest: str | None
) -> int:
    """One gate_results row per gate, inside the caller's transaction. Returns the row count."""
    from trainmaster.store.models import GateResultRow

    for signal in report.signals:
        session.add(
            GateResultRow(
                train_id=train_id,
                stage=stage,
                digest=digest,
                gate=signal.name,
                verdict=signal.verdict.value,
                evidence=json.dumps(signal.to_json(), sort_keys=True),
                evaluated_at=report.evaluated_at,
            )
        )
    session.flush()
    return len(report.signals)

"""The gate use cases: run a stage's gates now, and watch a stage after promotion.

`run_gates` asks the policy (`gate.run`, open until a role lists it), evaluates every gate from
the metrics backend and the given inputs, and records the results against a train when one is
named. `watch_stage` asks whether the actor may roll back before it starts (a refusal found at
the breach would leave the bad release serving), then watches; with a train, its rollback goes
through the train's own `rollback` use case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from trainmaster.errors import ExitCode
from trainmaster.gates.inputs import GateInputs

if TYPE_CHECKING:
    from trainmaster.gates.result import GateReport
    from trainmaster.gates.watch import WatchOutcome
    from trainmaster.ports import Backends
    from trainmaster.rollout.port import Cluster

EXIT_FOR_VERDICT = {
    "pass": ExitCode.OK,
    "fail": ExitCode.FAILED,
    "inconclusive": ExitCode.INCONCLUSIVE,
}


@dataclass(frozen=True)
class GateRunInput:
    actor: str
    stage: str
    services: tuple[str, ...] = ()  # default: the stage's service; several: `service/gate`
    at: datetime | None = None  # default: now
    inputs: GateInputs = field(default_factory=GateInputs)  # load, smoke, migrations, CI
    only: tuple[str, ...] | None = None
    prometheus_url: str | None = None
    train: str | None = None  # record the results for this train (and `digest`)
    digest: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class GateRunResult:
    report: GateReport
    recorded: int  # gate_results rows written (0 without a train)

    @property
    def exit_code(self) -> ExitCode:
        return EXIT_FOR_VERDICT[self.report.verdict.value]


@dataclass(frozen=True)
class GateWatchInput:
    actor: str
    stage: str
    duration: timedelta | None = None  # default: the stage's watch.for
    interval: timedelta | None = None
    service: str | None = None
    prometheus_url: str | None = None
    train: str | None = None  # roll back through this train (its state, journal and audit)
    dry_run: bool = False  # plan the rollback, never apply it
    on_report: Callable[[GateReport], None] | None = field(default=None, compare=False)

    @property
    def reason(self) -> str:
        return f"gate watch on {self.stage}: automatic rollback when a rollback criterion fails"


def run_gates(backends: Backends, request: GateRunInput) -> GateRunResult:
    """Evaluate every gate of a stage: pass, fail or inconclusive per signal and overall."""
    from trainmaster.acting import ask
    from trainmaster.gates.service import evaluate_services, record_report

    policy = backends.policy
    policy.stage(request.stage)
    target = f"train/{request.train}" if request.train else f"stage/{request.stage}"
    ask(backends, request.actor, "gate.run", target, request.reason, stage=request.stage,
        train=request.train)  # fmt: skip
    services = request.services or (policy.stage(request.stage).service,)
    report = evaluate_services(
        policy,
        request.stage,
        services,
        metrics=backends.metrics(request.prometheus_url),
        at=request.at or backends.clock(),
        inputs=request.inputs,
        only=request.only,
        prefix=len(services) > 1,  # several services: results are named `service/gate`
    )
    recorded = 0
    if request.train:
        with backends.store.transaction() as session:
            recorded = record_report(session, report, request.train, request.stage, request.digest)
    return GateRunResult(report, recorded)


def watch_stage(backends: Backends, request: GateWatchInput) -> WatchOutcome:
    """Post-promotion analysis: roll back on the first failing criterion; resumes on restart."""
    from trainmaster.acting import ask
    from trainmaster.gates.watch import watch
    from trainmaster.rollout.backends import target_for

    policy, target = backends.policy, target_for(backends.policy, request.stage)
    if not request.dry_run:
        where = f"train/{request.train}" if request.train else f"{target.namespace}/{target.name}"
        ask(backends, request.actor, "rollback", where, request.reason, stage=request.stage,
            train=request.train)  # fmt: skip
    acting: Cluster = backends.cluster
    if request.train and not request.dry_run:
        from trainmaster.train.watching import RollbackThroughTrain

        acting = RollbackThroughTrain(backends, request.train, request.actor)
    return watch(
        policy,
        request.stage,
        metrics=backends.stage_metrics(target, request.prometheus_url),
        cluster=acting,
        store=backends.store,
        duration=request.duration,
        interval=request.interval,
        actor=request.actor,
        target=target,
        service=request.service,
        train_id=request.train,
        dry_run=request.dry_run,
        on_report=request.on_report,
    )

"""`gate watch`: post-promotion analysis that rolls back on the first failing criterion.

Durable: the analysis (deadline, evaluations, the rollback plan) lives in the store, so a restarted
watcher resumes the same analysis instead of starting over, and a rollback interrupted by a crash
is finished, not repeated. Every evaluation is recorded in gate_results; the rollback is planned,
written, applied through the cluster port, then audited."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from trainmaster.config.model import Policy
from trainmaster.gates.result import GateReport
from trainmaster.gates.rollback import RollbackPlan, already_applied, plan_from_dict, plan_rollback
from trainmaster.gates.verdict import Verdict
from trainmaster.rollout.port import Cluster, RolloutState, Target

if TYPE_CHECKING:
    from trainmaster.gates.port import Metrics
    from trainmaster.gates.queries import Scope
    from trainmaster.gates.watch_state import WatchState
    from trainmaster.store import Store


@dataclass(frozen=True)
class WatchOutcome:
    key: str
    verdict: Verdict  # pass: clean to the end; fail: a criterion failed; inconclusive: no proof
    status: str  # passed | inconclusive | rolled_back | failed (a dry run plans, never applies)
    evaluations: int
    resumed: bool
    plan: RollbackPlan | None = None
    applied: bool = False
    last_report: GateReport | None = None


def utc_now() -> datetime:
    return datetime.now(UTC)


def watch_gates(policy: Policy, stage: str) -> list[str]:
    """What a watch applies: the stage's signals (smoke or k6 results are pre-promotion)."""
    return [g for g in policy.stage(stage).gates if g in policy.signals]


def watch(
    policy: Policy,
    stage: str,
    *,
    metrics: Metrics | None,
    cluster: Cluster,
    store: Store,
    duration: timedelta | None = None,
    interval: timedelta | None = None,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
    actor: str = "trainmaster",
    target: Target | None = None,
    service: str | None = None,
    train_id: str | None = None,
    dry_run: bool = False,
    on_report: Callable[[GateReport], None] | None = None,
) -> WatchOutcome:
    """Evaluate the stage's criteria every `interval` until `duration` has passed since the watch
    began; on the first failure roll back (undo, or abort a paused preview) and stop."""
    from trainmaster.gates.service import evaluate_stage

    spec = policy.stage(stage)
    configured = spec.watch
    duration = duration or (configured.duration if configured else timedelta(minutes=30))
    interval = interval or (configured.interval if configured else timedelta(seconds=30))
    target = target or Target(stage=stage, namespace=spec.namespace, name=spec.service)
    run = _Run(policy, stage, cluster, store, target, actor, train_id, dry_run)
    state, resumed = run.begin(clock(), duration, interval)
    if state.status != "running":
        return (
            run.finish_rollback(state, resumed)
            if state.status == "rolling_back"
            else run.done(state, resumed)
        )
    gates = watch_gates(policy, stage)
    scope = watched_scope(policy, stage, cluster.status(target), service)
    while True:
        now = clock()
        report = evaluate_stage(policy, stage, metrics=metrics, at=now, scope=scope, only=gates)
        if on_report:
            on_report(report)
        state = run.record(state, report, now)
        if report.verdict is Verdict.FAIL:
            return run.roll_back(state, report, resumed)
        if now >= state.deadline:
            return run.complete(state, report, resumed)
        sleep(max(0.0, min(interval.total_seconds(), (state.deadline - now).total_seconds())))


def watched_scope(policy: Policy, stage: str, rollout: RolloutState, service: str | None) -> Scope:
    """The colour a watch measures: a paused preview (watched before its switch), else the
    active colour, the one serving after promotion — never both."""
    from trainmaster.gates.scope import scope_for

    colour = "preview" if rollout.paused and rollout.preview else "active"
    return scope_for(policy, stage, service, rollout=rollout, colour=colour)


class _Run:
    """One watch's side of the store and the cluster. A dry run keeps its state in memory."""

    def __init__(
        self,
        policy: Policy,
        stage: str,
        cluster: Cluster,
        store: Store,
        target: Target,
        actor: str,
        train_id: str | None,
        dry_run: bool,
    ) -> None:
        self.policy, self.stage, self.cluster, self.store = policy, stage, cluster, store
        self.target, self.actor, self.train_id, self.dry_run = target, actor, train_id, dry_run
        self.where = f"{stage}/{target.namespace}/{target.name}"

    def begin(
        self, now: datetime, duration: timedelta, interval: timedelta
    ) -> tuple[WatchState, bool]:
        from trainmaster.audit.log import append_event
        from trainmaster.gates.watch_state import WatchState, load_or_start

        rollout = self.cluster.status(self.target)
        watching = rollout.preview if rollout.paused and rollout.preview else rollout.stable
        image = watching or f"revision-{rollout.revision}"
        fresh = WatchState(
            key=f"{self.where}@{image}",
            stage=self.stage,
            target=f"{self.target.namespace}/{self.target.name}",
            image=image,
            status="running",
            started_at=now,
            deadline=now + duration,
            interval_seconds=interval.total_seconds(),
            evaluations=0,
            last_verdict=None,
            plan="{}",
            row_version=1,
        )
        if self.dry_run:
            return fresh, False
        with self.store.transaction() as session:
            state, resumed = load_or_start(session, fresh, now)
            if not resumed:
                payload = {
                    "image": image,
                    "deadline": fresh.deadline.isoformat(),
                    "interval_s": fresh.interval_seconds,
                }
                append_event(
                    session,
                    actor=self.actor,
                    action="gate.watch.start",
                    target=self.where,
                    reason="post-promotion analysis",
                    payload=payload,
                )
        return state, resumed

    def record(self, state: WatchState, report: GateReport, now: datetime) -> WatchState:
        from dataclasses import replace

        from trainmaster.gates.service import record_report
        from trainmaster.gates.watch_state import save

        changes = {
            "evaluations": state.evaluations + 1,
            "last_verdict": report.verdict.value,
            "last_evaluated_at": now,
        }
        if self.dry_run:
            return replace(
                state, evaluations=state.evaluations + 1, last_verdict=report.verdict.value
            )
        with self.store.transaction() as session:
            record_report(session, report, self.train_id, self.stage, _digest(state.image))
            return save(session, state, now, **changes)

    def roll_back(self, state: WatchState, report: GateReport, resumed: bool) -> WatchOutcome:
        from trainmaster.gates.watch_state import save

        plan = plan_rollback(self.stage, self.cluster.status(self.target), report)
        if self.dry_run:
            return WatchOutcome(
                state.key, Verdict.FAIL, "failed", state.evaluations, resumed, plan, False, report
            )
        with self.store.transaction() as session:
            state = save(
                session,
                state,
                report.evaluated_at,
                status="rolling_back",
                plan=json.dumps(plan.as_dict()),
            )
        outcome = self.finish_rollback(state, resumed)
        return WatchOutcome(**{**outcome.__dict__, "last_report": report})

    def finish_rollback(self, state: WatchState, resumed: bool) -> WatchOutcome:
        """Apply the written plan unless the cluster shows it applied, then audit: idempotent."""
        from trainmaster.audit.log import append_event
        from trainmaster.gates.watch_state import save

        plan = plan_from_dict(json.loads(state.plan), self.target)
        if not already_applied(plan, self.cluster.status(self.target)):
            if plan.action == "abort":
                self.cluster.abort(self.target)
            else:
                self.cluster.undo(self.target)
        after = self.cluster.status(self.target)
        restored = after.preview if after.paused and after.preview else after.stable
        written = {**plan.as_dict(), "restored_image": restored or f"revision-{after.revision}"}
        with self.store.transaction() as session:
            state = save(session, state, utc_now(), status="rolled_back", plan=json.dumps(written))
            append_event(
                session,
                actor=self.actor,
                action="rollback",
                target=self.where,
                reason=plan.reason,
                payload={
                    "plan": plan.as_dict(),
                    "watch": state.key,
                    "evaluations": state.evaluations,
                },
            )
        return WatchOutcome(
            state.key, Verdict.FAIL, "rolled_back", state.evaluations, resumed, plan, True
        )

    def complete(self, state: WatchState, report: GateReport, resumed: bool) -> WatchOutcome:
        from trainmaster.audit.log import append_event
        from trainmaster.gates.watch_state import save

        verdict = report.verdict
        status = "passed" if verdict is Verdict.PASS else "inconclusive"
        if self.dry_run:
            return WatchOutcome(
                state.key, verdict, status, state.evaluations, resumed, last_report=report
            )
        with self.store.transaction() as session:
            state = save(session, state, report.evaluated_at, status=status)
            reasons = [s.reason for s in report.signals if s.verdict is not Verdict.PASS]
            append_event(
                session,
                actor=self.actor,
                action=f"gate.watch.{status}",
                target=self.where,
                reason="; ".join(reasons) or "every criterion held for the whole watch",
                payload={"watch": state.key, "evaluations": state.evaluations},
            )
        return WatchOutcome(
            state.key, verdict, status, state.evaluations, resumed, last_report=report
        )

    def done(self, state: WatchState, resumed: bool) -> WatchOutcome:
        plan = plan_from_dict(json.loads(state.plan), self.target) if state.plan != "{}" else None
        verdict = {"passed": Verdict.PASS, "inconclusive": Verdict.INCONCLUSIVE}.get(
            state.status, Verdict.FAIL
        )
        return WatchOutcome(
            state.key,
            verdict,
            state.status,
            state.evaluations,
            resumed,
            plan,
            state.status == "rolled_back",
        )


def _digest(image: str) -> str:
    """`sha256:<hex>` of a digest reference (what gate_results keys on), else the reference."""
    return image.split("@", 1)[1] if "@" in image else image[:128]

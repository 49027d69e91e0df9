"""What each kind of job does, through the same use cases as every other front door. Every
handler is idempotent by its job's key: run twice (a replica killed after the work and before
recording it), it has the effect of once — the train's effect journal, its state machine and the
watch's checkpoint see to that.

Handlers act as `automation.actor` and are authorized by the policy like a person."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trainmaster.errors import Refused, UsageError
from trainmaster.jobs.runner import Handler, JobContext

if TYPE_CHECKING:
    from trainmaster.ports import Backends


@dataclass(frozen=True)
class Work:
    """Where the handlers get their backends: a fresh set per job (`jobs.wiring` makes them
    from the policy; tests hand in their own), closed when the job ends."""

    backends: Callable[[], AbstractContextManager[Backends]]


def handlers(work: Work) -> dict[str, Handler]:
    return {
        "train.cut": lambda ctx: _with(work, ctx, cut),
        "train.stage": lambda ctx: _with(work, ctx, deploy_stages),
        "gate.watch": lambda ctx: _with(work, ctx, watch_stage),
        "approval.remind": lambda ctx: _with(work, ctx, remind),
        "preview.sweep": lambda ctx: _with(work, ctx, sweep_previews),
        "governance.drift": lambda ctx: _with(work, ctx, check_drift),
        "evidence.build": lambda ctx: _with(work, ctx, build_evidence),
        "notify.deliver": lambda ctx: _with(work, ctx, _deliver),  # notify (issue 20)
        "github.webhook": lambda ctx: _with(work, ctx, _webhook),  # GitHub App (issue 18)
    }


def _deliver(backends: Backends, ctx: JobContext) -> Mapping[str, Any]:
    from trainmaster.notify.jobs import deliver_job

    return deliver_job(backends, ctx)


def _webhook(backends: Backends, ctx: JobContext) -> Mapping[str, Any]:
    from trainmaster.github_app.events import process

    return process(backends, ctx)


Step = Callable[["Backends", JobContext], Mapping[str, Any]]


def _with(work: Work, ctx: JobContext, step: Step) -> Mapping[str, Any]:
    with work.backends() as backends:
        return step(backends, ctx)


def actor(backends: Backends) -> str:
    return backends.policy.automation.actor


def cut(backends: Backends, ctx: JobContext) -> Mapping[str, Any]:
    """The scheduled cut. The train's own refusal (a freeze added since, no new commits, the tag
    already made by an earlier run of this job) is the job's answer, recorded and not retried;
    an authorization refusal is a failure a person must look at."""
    from trainmaster.train import use_cases

    reason = f"scheduled train at {ctx.job.payload.get('at', ctx.job.run_at.isoformat())}"
    try:
        result = use_cases.cut(backends, use_cases.CutInput(actor(backends), reason))
    except Refused as refusal:
        if any(r.rule == "authz" for r in refusal.reasons):
            raise
        return {"skipped": refusal.message}
    except UsageError as refusal:
        return {"skipped": refusal.message}
    return {"train": result.train, "tag": result.plan.tag, "sha": result.plan.sha}


def _status(backends: Backends, train: str, stage: str) -> dict[str, Any]:
    from trainmaster.train import use_cases

    found: dict[str, Any] = next(
        s for s in use_cases.train_status(backends, train)["stages"] if s["stage"] == stage
    )
    return found


def deploy_stages(backends: Backends, ctx: JobContext) -> Mapping[str, Any]:
    """Deploy and verify the listed stages in order, resuming where an earlier run stopped; the
    first stage that does not pass (or needs a promotion first) ends the job."""
    from trainmaster.train import use_cases

    train, who = str(ctx.job.payload["train"]), actor(backends)
    use_cases.resume(backends, who, train)  # an earlier run killed mid-deploy left effects pending
    done: dict[str, str] = {}
    for stage in ctx.job.payload.get("stages", []):
        # each step returns the train's new state: one status read per stage, not one per step
        status = str(_status(backends, train, stage)["status"])
        if status == "pending":
            deploy = use_cases.DeployInput(who, train, stage, "deploy after the cut")
            status = use_cases.deploy(backends, deploy).state.stage(stage).status.value
        if status == "verifying":
            verify = use_cases.VerifyInput(who, train, stage)
            status = use_cases.verify(backends, verify).state.stage(stage).status.value
        done[stage] = status
        if status != "awaiting_approval":
            break
    return {"train": train, "stages": done}


class NextTick(Exception):
    """The watch wants its next evaluation `seconds` from now: this job ends, a follow-up job
    runs it (so a thousand watches share a few runner threads instead of holding one each)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"next evaluation in {seconds:g} s")
        self.seconds = seconds


def watch_stage(backends: Backends, ctx: JobContext) -> Mapping[str, Any]:
    """One evaluation of the post-promotion watch. Its state is checkpointed in the store
    (`gate_watches`), so each tick — on whichever replica claims it, after whatever was killed —
    resumes the same analysis and decides as one uninterrupted watch would."""
    from trainmaster.acting import ask
    from trainmaster.gates.watch import watch
    from trainmaster.rollout.backends import target_for
    from trainmaster.train.watching import RollbackThroughTrain

    train, stage = str(ctx.job.payload["train"]), str(ctx.job.payload["stage"])
    reason = f"post-promotion watch of {stage}: automatic rollback when a criterion fails"
    # asked before the watch, not at the breach: a refusal then would leave a bad release serving
    ask(backends, actor(backends), "rollback", f"train/{train}", reason, stage=stage, train=train)

    def sleep(seconds: float) -> None:
        raise NextTick(seconds)

    acting = RollbackThroughTrain(backends, train, actor(backends))
    try:
        target = target_for(backends.policy, stage)
        outcome = watch(backends.policy, stage, metrics=backends.metrics(), cluster=acting,
                        store=backends.store, actor=actor(backends), train_id=train, sleep=sleep,
                        target=target, clock=backends.clock)  # fmt: skip
    except NextTick as tick:
        return {"next": _next_tick(backends, ctx, stage, tick.seconds)}
    return {"watch": outcome.key, "status": outcome.status, "evaluations": outcome.evaluations}


def _next_tick(backends: Backends, ctx: JobContext, stage: str, seconds: float) -> str:
    """Schedule the next evaluation. Its key is the slot of the interval grid it falls in, so
    a tick run twice (a replica killed after evaluating) schedules the same next tick once."""
    from datetime import timedelta

    from trainmaster.jobs.model import JobSpec

    spec = backends.policy.stages[stage].watch
    grid = max(1.0, spec.interval.total_seconds() if spec else seconds)
    at = backends.clock() + timedelta(seconds=seconds)
    base = ctx.job.key.split("#", 1)[0]
    # a slot after this job's own, even when the deadline brings the last tick closer than that
    slot = max(int(at.timestamp() // grid), int(ctx.job.run_at.timestamp() // grid) + 1)
    key = f"{base}#{slot}"
    ctx.enqueue(JobSpec("gate.watch", key, at, dict(ctx.job.payload), max_attempts=10))
    return key


def remind(backends: Backends, ctx: JobContext) -> Mapping[str, Any]:
    """Ask the approvers again while a stage still waits for them (`approval.requested`)."""
    from trainmaster.audit.log import append_event

    train, stage = str(ctx.job.payload["train"]), str(ctx.job.payload["stage"])
    described = _status(backends, train, stage)
    if described["status"] != "awaiting_approval":
        return {"skipped": f"{stage} is {described['status']}"}
    with backends.store.transaction() as session:
        append_event(session, actor=actor(backends), action="approval.requested",
                     target=f"train/{train}/{stage}", reason="approval reminder",
                     payload={"quorum": described["quorum"], "counted": described["counted"],
                              "waiting_for": described["waiting_for"],
                              "reminder": ctx.job.payload.get("n")})  # fmt: skip
    return {"reminded": described["waiting_for"]}


def sweep_previews(backends: Backends, ctx: JobContext) -> Mapping[str, Any]:
    """Delete the preview environments that expired or whose pull request closed (the same
    rules as `preview sweep`: a forge failure deletes nothing)."""
    from trainmaster.rollout.preview_use_cases import SweepInput, preview_sweep

    request = SweepInput(actor(backends), reason="scheduled TTL sweep")
    result = preview_sweep(backends, request)
    return {"deleted": list(result.deleted), "checked": len(result.plan)}


def check_drift(backends: Backends, ctx: JobContext) -> Mapping[str, Any]:
    """The nightly `drift`: GitHub compared with the policy; a difference is audited (and so
    notified) as `governance.drift`; a GitHub failure retries."""
    from trainmaster.governance.use_cases import Selection, drift_governance

    plan = drift_governance(backends, Selection(), actor(backends))
    error = plan.error()
    if error is not None:
        raise error
    return {"drifted": list(plan.drifted), "repos": len(plan.plans)}


def build_evidence(backends: Backends, ctx: JobContext) -> Mapping[str, Any]:
    """The train's evidence bundle once it ended, signed with the policy's key (unsigned, with
    a notice, when the policy has none)."""
    from trainmaster.evidence.use_cases import BuildInput, build_bundle

    train = str(ctx.job.payload["train"])
    result = build_bundle(backends, BuildInput(actor(backends), train, reason="train ended"))
    return {"bundle": str(result.bundle.path), "sha256": result.bundle.sha256}

"""What each kind of job does. Every handler is idempotent by its job's key: run twice (a
replica killed after the work and before recording it), it has the effect of once — the train's
effect journal, its state machine and the watch's checkpoint see to that.

Handlers act as `automation.actor` and are authorized by the policy like a person."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from trainmaster.errors import Refused, UsageError
from trainmaster.jobs.runner import Handler, JobContext, JobFailed

if TYPE_CHECKING:
    from trainmaster.config.model import Policy
    from trainmaster.gates.port import Metrics
    from trainmaster.rollout.port import Cluster
    from trainmaster.store import Store
    from trainmaster.train.service import TrainService

Authorize = Callable[[str, str, str, str | None], None]  # action, target, reason, stage


@dataclass(frozen=True)
class Work:
    """What the handlers act through: built from the policy by `jobs.wiring`, by tests with
    their own backends."""

    policy: Policy
    store: Store
    trains: Callable[[], TrainService]  # a train service acting as the automation actor
    authorize: Authorize
    cluster: Callable[[], Cluster]
    metrics: Callable[[], Metrics]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] | None = None  # None: wait on the job's lease (production)

    @property
    def actor(self) -> str:
        return self.policy.automation.actor


def handlers(work: Work) -> dict[str, Handler]:
    return {
        "train.cut": lambda ctx: cut(work, ctx),
        "train.stage": lambda ctx: deploy_stages(work, ctx),
        "gate.watch": lambda ctx: watch_stage(work, ctx),
        "approval.remind": lambda ctx: remind(work, ctx),
    }


def cut(work: Work, ctx: JobContext) -> Mapping[str, Any]:
    """The scheduled cut. A refusal (freeze added since, no new commits, the tag already made by
    an earlier run of this job) is the job's answer, not a failure: recorded, not retried."""
    reason = f"scheduled train at {ctx.job.payload.get('at', ctx.job.run_at.isoformat())}"
    work.authorize("train.cut", "train/next", reason, None)
    try:
        plan = work.trains().cut(override_reason=None)
    except (Refused, UsageError) as refusal:
        return {"skipped": refusal.message}
    return {"train": plan.train_id, "tag": plan.tag, "sha": plan.sha}


def deploy_stages(work: Work, ctx: JobContext) -> Mapping[str, Any]:
    """Deploy and verify the listed stages in order, resuming where an earlier run stopped; the
    first stage that does not pass (or needs a promotion first) ends the job."""
    from trainmaster.train.model import StageStatus

    train_id = str(ctx.job.payload["train"])
    trains = work.trains()
    trains.resume(train_id)  # an earlier run killed mid-deploy left its effects pending
    done: dict[str, str] = {}
    for stage in ctx.job.payload.get("stages", []):
        view = trains.state(train_id).stage(stage)
        if view.status is StageStatus.PENDING:
            work.authorize("train.deploy", f"train/{train_id}", "deploy after the cut", stage)
            trains.deploy(train_id, stage, reason="deploy after the cut")
            view = trains.state(train_id).stage(stage)
        if view.status is StageStatus.VERIFYING:
            trains.verify(train_id, stage)
            view = trains.state(train_id).stage(stage)
        done[stage] = view.status.value
        if view.status is not StageStatus.AWAITING_APPROVAL:
            break
    return {"train": train_id, "stages": done}


def watch_stage(work: Work, ctx: JobContext) -> Mapping[str, Any]:
    """The post-promotion watch. Its state is checkpointed in the store, so the replica that
    takes this job over after a kill resumes the same analysis and decides as the first would."""
    from trainmaster.gates.watch import watch
    from trainmaster.rollout.backends import target_for
    from trainmaster.train.watching import RollbackThroughTrain

    train_id, stage = str(ctx.job.payload["train"]), str(ctx.job.payload["stage"])
    reason = f"post-promotion watch of {stage}: automatic rollback when a criterion fails"
    work.authorize("rollback", f"train/{train_id}", reason, stage)
    cluster = work.cluster()
    acting = RollbackThroughTrain(work.trains(), cluster, train_id, work.actor)

    def sleep(seconds: float) -> None:
        if work.sleep is not None:
            work.sleep(seconds)
        if ctx.lost.wait(0 if work.sleep is not None else seconds):
            raise JobFailed("this replica lost the watch's lease; another one goes on with it")

    metrics = work.metrics()
    try:
        outcome = watch(work.policy, stage, metrics=metrics, cluster=acting, store=work.store,
                        actor=work.actor, target=target_for(work.policy, stage),
                        train_id=train_id, sleep=sleep, clock=work.clock)  # fmt: skip
    finally:
        close = getattr(metrics, "close", None)  # the scrape backend polls until closed
        if callable(close):
            close()
    return {"watch": outcome.key, "status": outcome.status, "evaluations": outcome.evaluations}


def remind(work: Work, ctx: JobContext) -> Mapping[str, Any]:
    """Ask the approvers again while a stage still waits for them (`approval.requested`)."""
    from trainmaster.audit.log import append_event
    from trainmaster.train.model import StageStatus

    train_id, stage = str(ctx.job.payload["train"]), str(ctx.job.payload["stage"])
    trains = work.trains()
    view = trains.state(train_id).stage(stage)
    if view.status is not StageStatus.AWAITING_APPROVAL or view.attempt != ctx.job.payload.get(
        "attempt", view.attempt
    ):
        return {"skipped": f"{stage} is {view.status.value}"}
    described = next(s for s in trains.status(train_id)["stages"] if s["stage"] == stage)
    with work.store.transaction() as session:
        append_event(session, actor=work.actor, action="approval.requested",
                     target=f"train/{train_id}/{stage}", reason="approval reminder",
                     payload={"quorum": described["quorum"], "counted": described["counted"],
                              "waiting_for": described["waiting_for"],
                              "reminder": ctx.job.payload.get("n")})  # fmt: skip
    return {"reminded": described["waiting_for"]}

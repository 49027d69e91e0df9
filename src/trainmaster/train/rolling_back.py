"""A stage rollback, manual (`trainmaster rollback`) or the post-promotion watch's (one path for
both): read the stage's history and what the cluster runs, decide with `known_good.decide`,
record the rollback on the train whose release leaves, and pin the target digest.

The train service's `rollback` delegates here; the decision itself is pure (known_good.py) and
the state change is the machine's (`Rollback` in machine.py).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainmaster.errors import UsageError
from trainmaster.store.models import GateWatchRow, StageRunRow
from trainmaster.train.engine import Outcome
from trainmaster.train.known_good import History, StageRecord, WatchRecord, decide
from trainmaster.train.live import target_for
from trainmaster.train.model import Rollback
from trainmaster.train.records import utc

if TYPE_CHECKING:
    from trainmaster.config.model import Policy
    from trainmaster.train.service import TrainService


def read_history(session: Session, policy: Policy, stage: str) -> History:
    spec = policy.stage(stage)
    target = f"{spec.namespace}/{spec.service}"
    watches = session.execute(
        select(GateWatchRow).where(GateWatchRow.stage == stage, GateWatchRow.target == target)
    ).scalars()
    runs = session.execute(select(StageRunRow).where(StageRunRow.stage == stage)).scalars()
    return History(
        stage=stage,
        watched=spec.watch is not None,
        watches=tuple(
            WatchRecord(w.image, w.status, utc(w.updated_at) or utc(w.started_at))  # type: ignore[arg-type]
            for w in watches
        ),
        runs=tuple(
            StageRecord(
                train_id=r.train_id,
                digest=r.digest,
                status=r.state,
                previous_digest=json.loads(r.data or "{}").get("previous_digest"),
                started_at=utc(r.started_at),  # type: ignore[arg-type]
                updated_at=utc(r.updated_at),  # type: ignore[arg-type]
                rolled_back_to=json.loads(r.data or "{}").get("note") or None,
            )
            for r in runs
        ),
    )


def rollback_stage(
    service: TrainService,
    stage: str,
    actor: str,
    reason: str,
    to_digest: str | None = None,
    *,
    train_id: str | None = None,
    dry_run: bool = False,
) -> Outcome:
    """Go to the stage's last known-good digest (or `to_digest`); nothing to do when the stage
    already serves it. Recorded on `train_id`, else on the train whose release leaves, else on
    the newest train deployed to the stage."""
    if not reason.strip():
        from trainmaster.errors import Refused

        raise Refused("a rollback needs a reason (--reason)")
    if service.ports.cluster is None:
        raise UsageError("no cluster backend is configured; cannot roll back")
    live = service.ports.cluster.status(target_for(service.policy, stage))
    with service.store.transaction() as session:
        history = read_history(session, service.policy, stage)
    decision = decide(history, live.stable, live.preview, to_digest)
    train = train_id or decision.train_id or _newest_train(history)
    if decision.target is None:
        return Outcome(service.state(train), message=decision.why)
    why, replaced = decision.why, decision.replaced
    return service.transition(
        train,
        lambda s: Rollback(
            stage, actor, reason, service.now(), decision.target, replaced=replaced, why=why
        ),
        reason=reason,
        actor=actor,
        dry_run=dry_run,
    )


def rollback_target(service: TrainService, stage: str) -> str | None:
    """Where a rollback of `stage` would go now; None when there is nothing to do or nothing
    known good to go to (a failed verification then leaves the stage as it is)."""
    if service.ports.cluster is None:
        return None
    live = service.ports.cluster.status(target_for(service.policy, stage))
    with service.store.transaction() as session:
        history = read_history(session, service.policy, stage)
    try:
        return decide(history, live.stable, live.preview).target
    except UsageError:
        return None


def _newest_train(history: History) -> str:
    newest = max(history.runs, key=lambda r: (r.started_at, r.updated_at), default=None)
    if newest is None:
        raise UsageError(
            f"no train has been deployed to {history.stage}: nothing to roll back "
            "(to set an image directly: `trainmaster rollout pin`)"
        )
    return newest.train_id

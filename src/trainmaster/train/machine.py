"""The train's state machine: `next_state(state, event) -> Transition(new state, actions)`.

Pure. Per stage: pending → deploying → verifying → awaiting approval → promoting → promoted,
or failed / rolling back → rolled back / aborted. A guard that does not hold raises the error
the user sees (Refused for policy, ConflictError for a race, UsageError for a wrong order);
the state is then unchanged because nothing was returned.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from trainmaster.errors import ConflictError, Refused, UsageError
from trainmaster.train.approvals import (
    PROMOTION_GUARDS,
    approval_refusal,
    freeze_blocker,
    order_blocker,
    promotion_refusals,
)
from trainmaster.train.model import (
    BUSY,
    Abort,
    Action,
    ApprovalRecord,
    Approve,
    CancelEffects,
    ClusterAction,
    Deploy,
    EffectsDone,
    Event,
    Promote,
    RecordApproval,
    RecordArtifact,
    RevokeApprovals,
    Rollback,
    StageStatus,
    StageView,
    TrainState,
    TrainStatus,
    Transition,
    Verified,
)


def next_state(state: TrainState, event: Event) -> Transition:
    if isinstance(event, Abort):
        return _abort(state, event)
    if state.status is TrainStatus.CUTTING or (
        state.status is TrainStatus.ABORTED and not _rolling_back(state, event)
    ):
        raise UsageError(f"train {state.id} is {state.status.value}")
    handler: Any = _HANDLERS[type(event)]
    result: Transition = handler(state, event)
    return result


def _rolling_back(state: TrainState, event: Event) -> bool:
    """A rollback (and its completion) is about the stage, so an aborted train may record it."""
    if isinstance(event, Rollback):
        return True
    return (
        isinstance(event, EffectsDone)
        and state.stage(event.stage).status is StageStatus.ROLLING_BACK
    )


def _with_stage(state: TrainState, view: StageView, **train: object) -> TrainState:
    others = tuple(s for s in state.stages if s.name != view.name)
    order = [r.name for r in state.rules]
    stages = tuple(sorted((*others, view), key=lambda s: order.index(s.name)))
    return replace(state, stages=stages, **train)  # type: ignore[arg-type]


def _artifact(state: TrainState, event: RecordArtifact) -> Transition:
    """A train ships one artifact; approvals and verdicts are bound to it."""
    if state.digest == event.digest:
        return Transition(state, (), "", {"already": True})
    started = [s.name for s in state.stages if s.status is not StageStatus.PENDING]
    if state.digest and started:
        raise UsageError(
            f"train {state.id} already deployed {state.digest} to {', '.join(started)}; "
            "cut a new train or a hotfix for another artifact"
        )
    return Transition(
        replace(state, digest=event.digest), (), "train.artifact", {"digest": event.digest}
    )


# A stage in one of these states runs the train's digest already (a failed one still runs it as
# the preview colour: deploying it again would not change the verdict).
DEPLOYED = frozenset(
    {
        StageStatus.VERIFYING,
        StageStatus.AWAITING_APPROVAL,
        StageStatus.PROMOTED,
        StageStatus.FAILED,
    }
)


def _deploy(state: TrainState, event: Deploy) -> Transition:
    rules = state.rule(event.stage)
    view = state.stage(event.stage)
    if not state.digest:
        raise UsageError(f"train {state.id} has no artifact digest; record one first")
    if view.status in BUSY:
        raise ConflictError(f"{event.stage} is {view.status.value}; let it finish (or resume it)")
    if (blocked := order_blocker(state, rules, event.actor, event.at)) is not None:
        raise Refused(blocked)
    if view.digest == state.digest and view.status in DEPLOYED:
        # pipeline (issue 14): a re-run deploy job finds its work done; deploying the running
        # digest again would reset the stage's verdicts and approvals.
        return Transition(state, (), "", {"already": True})
    new = StageView(
        name=event.stage,
        status=StageStatus.DEPLOYING,
        attempt=view.attempt + 1,
        digest=state.digest,
        approvals=view.approvals,
        previous_digest=event.current if event.current != state.digest else view.previous_digest,
    )
    action = ClusterAction("deploy", event.stage, image=state.digest, expect=state.digest)
    return Transition(_with_stage(state, new), (action,), "train.deploy", {"attempt": new.attempt})


def _verified(state: TrainState, event: Verified) -> Transition:
    view = state.stage(event.stage)
    if view.digest != event.digest:
        raise UsageError(f"{event.stage} runs {view.digest}, not the verified {event.digest}")
    if view.status in BUSY or view.status in (StageStatus.PENDING, StageStatus.ROLLED_BACK):
        raise UsageError(f"{event.stage} is {view.status.value}; nothing to verify")
    verdicts = dict(view.gate_verdicts)
    verdicts.update(event.gates)
    merged = tuple(sorted(verdicts.items()))
    if event.verdict == "fail":
        return _failed(state, view, event, merged)
    if view.status is StageStatus.PROMOTED:
        return Transition(
            _with_stage(state, replace(view, gate_verdicts=merged)), (), "train.verify"
        )
    if event.verdict == "pass":
        passed_at = (
            view.gates_passed_at if view.status is StageStatus.AWAITING_APPROVAL else event.at
        )
        new = replace(
            view,
            status=StageStatus.AWAITING_APPROVAL,
            gate_verdicts=merged,
            gates_passed_at=passed_at,
        )
    else:  # inconclusive never promotes: back to verifying, approvals kept
        new = replace(
            view, status=StageStatus.VERIFYING, gate_verdicts=merged, gates_passed_at=None
        )
    return Transition(_with_stage(state, new), (), "train.verify", {"verdict": event.verdict})


def _failed(
    state: TrainState, view: StageView, event: Verified, merged: tuple[tuple[str, str], ...]
) -> Transition:
    """A failed verification revokes the stage's approvals; after promotion it rolls back."""
    revoke = RevokeApprovals(event.stage, f"verification failed at {event.at.isoformat()}")
    approvals = tuple(replace(a, revoked=True) for a in view.approvals)
    if view.status is StageStatus.PROMOTED and event.rollback_to:
        # the same target as `trainmaster rollback`: the stage's last known good (known_good.py)
        back = _rollback_action(event.stage, event.rollback_to)
        new = replace(
            view,
            status=StageStatus.ROLLING_BACK,
            gate_verdicts=merged,
            approvals=approvals,
            note=event.rollback_to,
        )
        details: dict[str, object] = {"verdict": "fail", "to": event.rollback_to}
        return Transition(_with_stage(state, new), (revoke, back), "train.auto_rollback", details)
    new = replace(
        view,
        status=StageStatus.FAILED,
        gate_verdicts=merged,
        gates_passed_at=None,
        approvals=approvals,
    )
    return Transition(_with_stage(state, new), (revoke,), "train.verify", {"verdict": "fail"})


def _approve(state: TrainState, event: Approve) -> Transition:
    rules = state.rule(event.stage)
    if (refusal := approval_refusal(state, rules, event.actor, event.reason)) is not None:
        raise Refused(refusal)
    view = state.stage(event.stage)
    who = event.actor.casefold()
    for existing in view.approvals:
        same = existing.approver.casefold() == who and existing.digest == state.digest
        if same and not existing.revoked:
            return Transition(state, (), "", {"already": True})
    assert state.digest is not None
    record = ApprovalRecord(event.actor, event.reason.strip(), state.digest, event.at)
    new = replace(view, approvals=(*view.approvals, record))
    return Transition(_with_stage(state, new), (RecordApproval(event.stage, record),), "approve")


def _promote(state: TrainState, event: Promote) -> Transition:
    rules = state.rule(event.stage)
    view = state.stage(event.stage)
    if view.status is StageStatus.PROMOTED and view.digest == state.digest:
        raise ConflictError(f"{event.stage} was already promoted by {view.promoted_by}")
    if view.status in BUSY:
        raise ConflictError(f"{event.stage} is {view.status.value} (another promoter?)")
    guards = PROMOTION_GUARDS
    if event.override_freeze:
        guards = tuple(g for g in guards if g is not freeze_blocker)
    blockers = promotion_refusals(state, rules, event.actor, event.at, guards)
    if blockers:
        text = "; ".join(b.message for b in blockers)
        raise Refused(f"cannot promote {state.id} to {event.stage}: {text}", reasons=blockers)
    if not event.reason.strip():
        raise Refused(f"promoting to {event.stage} needs a reason (--reason)")
    actions: tuple[Action, ...] = ()
    status = StageStatus.PROMOTED
    if rules.blue_green:
        actions = (ClusterAction("promote", event.stage, expect=state.digest),)
        status = StageStatus.PROMOTING
    new = replace(view, status=status, promoted_by=event.actor)
    train_status = _released(state, event.stage) if status is StageStatus.PROMOTED else state.status
    details: dict[str, object] = {"digest": state.digest}
    if event.override_freeze:
        details["freeze_override"] = event.override_freeze
    return Transition(_with_stage(state, new, status=train_status), actions, "promote", details)


def _rollback(state: TrainState, event: Rollback) -> Transition:
    """Pin the stage to the digest `known_good.decide` chose, whatever this train's state: a
    rollback acts on what the stage runs, so an aborted, released or already rolled-back train
    can still be the one whose release leaves. Never "one revision back": that is history's
    decision, made before this event."""
    view = state.stage(event.stage)
    if view.status in BUSY:
        raise ConflictError(f"{event.stage} is {view.status.value}; let it finish (or resume it)")
    if view.status is StageStatus.PENDING:
        raise UsageError(f"train {state.id} was never deployed to {event.stage}")
    if not event.reason.strip():
        raise Refused("a rollback needs a reason (--reason)")
    if not event.to_digest:
        raise UsageError(f"no known-good digest to roll {event.stage} back to; give --to DIGEST")
    revoke = RevokeApprovals(event.stage, f"rolled back by {event.actor}")
    approvals = tuple(replace(a, revoked=True) for a in view.approvals)
    new = replace(view, status=StageStatus.ROLLING_BACK, approvals=approvals, note=event.to_digest)
    details: dict[str, object] = {"to": event.to_digest, "train": state.id}
    if event.replaced:
        details["from"] = event.replaced
    if event.why:
        details["known_good"] = event.why
    return Transition(
        _with_stage(state, new),
        (revoke, _rollback_action(event.stage, event.to_digest)),
        "rollback",
        details,
    )


def _rollback_action(stage: str, target: str | None) -> ClusterAction:
    if target:
        return ClusterAction("pin", stage, image=target, expect=target)
    return ClusterAction("undo", stage)


def _effects_done(state: TrainState, event: EffectsDone) -> Transition:
    view = state.stage(event.stage)
    after = {
        StageStatus.DEPLOYING: StageStatus.VERIFYING,
        StageStatus.PROMOTING: StageStatus.PROMOTED,
        StageStatus.ROLLING_BACK: StageStatus.ROLLED_BACK,
    }
    if view.status not in after:
        raise UsageError(f"{event.stage} has nothing in progress ({view.status.value})")
    status = after[view.status]
    train_status = state.status
    if status is StageStatus.PROMOTED:
        train_status = _released(state, event.stage)
    elif (
        status is StageStatus.ROLLED_BACK
        and event.stage == state.rules[-1].name
        and state.status is not TrainStatus.ABORTED  # an aborted train stays aborted
    ):
        train_status = TrainStatus.ROLLED_BACK
    new = replace(view, status=status)
    name = {"verifying": "train.deployed", "promoted": "train.promoted"}.get(
        status.value, "train.rolled_back"
    )
    return Transition(_with_stage(state, new, status=train_status), (), name)


def _released(state: TrainState, stage: str) -> TrainStatus:
    return TrainStatus.RELEASED if stage == state.rules[-1].name else state.status


def _abort(state: TrainState, event: Abort) -> Transition:
    if state.status in (TrainStatus.RELEASED, TrainStatus.ABORTED, TrainStatus.ROLLED_BACK):
        raise UsageError(f"train {state.id} is {state.status.value}; nothing to abort")
    if not event.reason.strip():
        raise Refused("aborting a train needs a reason (--reason)")
    # Aborting is the way out of an effect that keeps failing: its pending effects are cancelled
    # (the CancelEffects action) and recorded as such, never silently dropped.
    stages = tuple(
        s if s.status is StageStatus.PROMOTED else replace(s, status=StageStatus.ABORTED)
        for s in state.stages
    )
    busy = [s.name for s in state.stages if s.status in BUSY]
    return Transition(
        replace(state, status=TrainStatus.ABORTED, stages=stages),
        (CancelEffects(event.reason),),
        "train.abort",
        {"interrupted": busy},
    )


_HANDLERS: dict[type, Any] = {
    RecordArtifact: _artifact,
    Deploy: _deploy,
    Verified: _verified,
    Approve: _approve,
    Promote: _promote,
    Rollback: _rollback,
    EffectsDone: _effects_done,
}

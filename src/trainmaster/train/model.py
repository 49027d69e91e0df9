"""The train's state, the events that move it and the actions a transition asks for.

Frozen values only: `machine.next_state` reads them and returns new ones; services load them
from the store and apply the actions through the ports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class TrainStatus(StrEnum):
    CUTTING = "cutting"  # intent recorded; branch, tag and release draft being made
    OPEN = "open"  # cut; moving through the stages
    RELEASED = "released"  # promoted to the last stage
    ROLLED_BACK = "rolled_back"
    ABORTED = "aborted"


class StageStatus(StrEnum):
    PENDING = "pending"
    DEPLOYING = "deploying"
    VERIFYING = "verifying"
    AWAITING_APPROVAL = "awaiting_approval"
    PROMOTING = "promoting"
    PROMOTED = "promoted"
    FAILED = "failed"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    ABORTED = "aborted"


BUSY = frozenset({StageStatus.DEPLOYING, StageStatus.PROMOTING, StageStatus.ROLLING_BACK})


@dataclass(frozen=True)
class ApprovalRecord:
    approver: str
    reason: str
    digest: str
    at: datetime
    revoked: bool = False


@dataclass(frozen=True)
class StageRules:
    """What the policy asks of one stage, for this train's lane (hotfixes keep fewer gates)."""

    name: str
    gates: tuple[str, ...]
    quorum: int = 0
    exclude_author: bool = True
    exclude_promoter: bool = True
    reason_required: bool = True
    wait: timedelta = timedelta(0)
    approvers: frozenset[str] | None = None  # None: anyone may approve
    promoters: frozenset[str] | None = None  # None: anyone may promote
    previous: str | None = None  # the stage that must be promoted first
    blue_green: bool = False  # deploy starts a preview colour that promote switches to


@dataclass(frozen=True)
class StageView:
    name: str
    status: StageStatus = StageStatus.PENDING
    attempt: int = 0
    digest: str | None = None
    gates_passed_at: datetime | None = None  # when verification last turned to pass
    gate_verdicts: tuple[tuple[str, str], ...] = ()  # latest verdict per gate for `digest`
    approvals: tuple[ApprovalRecord, ...] = ()
    previous_digest: str | None = None  # what served before this train's deploy (rollback target)
    promoted_by: str | None = None
    note: str = ""


@dataclass(frozen=True)
class TrainState:
    id: str
    kind: str  # scheduled | hotfix
    version: str
    author: str
    status: TrainStatus
    digest: str | None
    row_version: int
    rules: tuple[StageRules, ...]
    stages: tuple[StageView, ...]
    frozen: str | None = None  # "name: reason" of the freeze in force at the event's time

    def stage(self, name: str) -> StageView:
        for view in self.stages:
            if view.name == name:
                return view
        return StageView(name=name)

    def rule(self, name: str) -> StageRules:
        for rule in self.rules:
            if rule.name == name:
                return rule
        from trainmaster.errors import UsageError

        known = ", ".join(r.name for r in self.rules)
        raise UsageError(f"stage {name!r} is not on this train's path ({known})")


# --- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deploy:
    stage: str
    actor: str
    at: datetime
    current: str | None = None  # what the cluster serves now (becomes the rollback target)


@dataclass(frozen=True)
class Verified:
    stage: str
    digest: str
    verdict: str  # pass | fail | inconclusive
    at: datetime
    gates: tuple[tuple[str, str], ...] = ()
    # After promotion, where a failure rolls the stage back: known_good.decide's target (None:
    # nothing known good to go to, or the stage already runs it).
    rollback_to: str | None = None


@dataclass(frozen=True)
class Approve:
    stage: str
    actor: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class Promote:
    stage: str
    actor: str
    reason: str
    at: datetime
    override_freeze: str | None = None


@dataclass(frozen=True)
class Rollback:
    stage: str
    actor: str
    reason: str
    at: datetime
    to_digest: str | None = None  # decided by known_good.decide (the last known-good digest)
    replaced: str | None = None  # the digest that leaves the stage
    why: str = ""  # where to_digest comes from


@dataclass(frozen=True)
class EffectsDone:
    """Every effect of the stage's current step completed (recorded by the effect runner)."""

    stage: str
    at: datetime


@dataclass(frozen=True)
class RecordArtifact:
    digest: str  # an immutable image reference, repo@sha256:<64 hex>
    actor: str
    at: datetime


@dataclass(frozen=True)
class Abort:
    actor: str
    reason: str
    at: datetime


Event = Deploy | Verified | Approve | Promote | Rollback | EffectsDone | Abort | RecordArtifact


# --- actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterAction:
    """deploy | promote | pin | undo on the stage's target; `image` for deploy and pin."""

    verb: str
    stage: str
    image: str | None = None
    expect: str | None = None  # the image serving (or in preview) once the action is done


@dataclass(frozen=True)
class RevokeApprovals:
    stage: str
    reason: str


@dataclass(frozen=True)
class RecordApproval:
    stage: str
    approval: ApprovalRecord


@dataclass(frozen=True)
class CancelEffects:
    """Cancel the train's pending effects (an abort): they will not be resumed."""

    reason: str


Action = ClusterAction | RevokeApprovals | RecordApproval | CancelEffects


@dataclass(frozen=True)
class Transition:
    state: TrainState
    actions: tuple[Action, ...] = ()
    audit: str = ""  # the audit action name for this transition
    details: dict[str, object] = field(default_factory=dict)

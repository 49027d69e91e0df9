"""The train's use cases: cut, hotfix, artifact, deploy, verify, approve, promote, rollback, abort.

Every front door (the CLI, the demo, a server, a job runner) calls these and nothing below them.
Each takes a frozen input naming the actor and the reason, asks the authorization policy first
(`policy.enforce.authorize`: a refusal is audited as `authz.refused` and raised as `Refused`
with its reasons, before any effect; dry runs change nothing and are not asked), runs through
the train service (machine → state, intents and audit event in one transaction → effects), and
returns a frozen result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from trainmaster.errors import CheckFailed, Inconclusive
from trainmaster.gates.verdict import Verdict
from trainmaster.train.model import StageStatus, TrainState, TrainStatus

if TYPE_CHECKING:
    from trainmaster.gates.inputs import GateInputs
    from trainmaster.policy.model import Decision
    from trainmaster.ports import Backends
    from trainmaster.train.cutting import CutPlan
    from trainmaster.train.engine import Outcome
    from trainmaster.train.service import TrainService
    from trainmaster.train.verification import Verifier

# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CutInput:
    actor: str
    reason: str = ""
    override_freeze: str | None = None  # cut inside a freeze window, because…
    dry_run: bool = False


@dataclass(frozen=True)
class HotfixInput:
    actor: str
    from_tag: str
    picks: tuple[str, ...]
    reason: str = ""
    dry_run: bool = False


@dataclass(frozen=True)
class ArtifactInput:
    actor: str
    train: str
    digest: str  # sha256:<hex>, or a full repo@sha256:<hex>
    reason: str = ""


@dataclass(frozen=True)
class DeployInput:
    actor: str
    train: str
    stage: str
    reason: str = ""
    dry_run: bool = False


@dataclass(frozen=True)
class VerifyInput:
    actor: str
    train: str
    stage: str
    inputs: GateInputs | None = None  # k6 / smoke / migrations / CI results, when given
    prometheus_url: str | None = None  # None: the policy's metrics backend
    reason: str = ""


@dataclass(frozen=True)
class ApproveInput:
    actor: str
    train: str
    stage: str
    reason: str


@dataclass(frozen=True)
class PromoteInput:
    actor: str
    train: str
    stage: str
    reason: str
    override_freeze: str | None = None
    expected_version: int | None = None  # refuse if the train moved since it was read
    dry_run: bool = False


@dataclass(frozen=True)
class RollbackInput:
    actor: str
    stage: str
    reason: str
    to_digest: str | None = None  # default: the stage's last known-good digest (known_good.py)
    train: str | None = None  # default: the train whose release leaves the stage
    dry_run: bool = False


@dataclass(frozen=True)
class AbortInput:
    actor: str
    train: str
    reason: str


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CutResult:
    """The cut (or hotfix) plan, applied unless `dry_run`."""

    plan: CutPlan
    dry_run: bool

    @property
    def train(self) -> str:
        return self.plan.train_id

    def as_json(self) -> dict[str, Any]:
        return {**self.plan.as_dict(), "dry_run": self.dry_run, "notes": self.plan.notes}


@dataclass(frozen=True)
class TrainResult:
    """The train after a step: its state, the effects applied (or planned, for a dry run)."""

    state: TrainState
    applied: tuple[dict[str, Any], ...] = ()
    planned: tuple[dict[str, Any], ...] = ()
    message: str = ""
    dry_run: bool = False

    @property
    def train(self) -> str:
        return self.state.id

    @property
    def status(self) -> TrainStatus:
        return self.state.status

    def stage(self, name: str) -> StageStatus:
        return self.state.stage(name).status

    def as_json(self) -> dict[str, Any]:
        return {
            "train": self.state.id,
            "status": self.state.status.value,
            "stages": {s.name: s.status.value for s in self.state.stages},
            "applied": list(self.applied),
            "planned": list(self.planned),
            "message": self.message,
            "dry_run": self.dry_run,
        }


@dataclass(frozen=True)
class VerifyResult(TrainResult):
    """A verification: each gate's verdict for the deployed digest."""

    verdicts: tuple[tuple[str, Verdict], ...] = ()  # (gate, verdict) for the deployed digest
    stage_name: str = ""

    @property
    def failed(self) -> bool:
        return self.state.stage(self.stage_name).status in _FAILED

    @property
    def inconclusive(self) -> bool:
        return any(v is Verdict.INCONCLUSIVE for _, v in self.verdicts)

    def raise_for_verdict(self) -> None:
        """Exit 1 on a failed stage, 3 when a gate could not decide (the CLI's exit codes)."""
        if self.failed:
            raise CheckFailed(
                f"{self.stage_name} verification failed for {self.train}; its approvals are revoked"
            )
        if self.inconclusive:
            raise Inconclusive(
                f"{self.stage_name} verification is inconclusive for {self.train}; "
                "it cannot promote"
            )


_FAILED = (StageStatus.FAILED, StageStatus.ROLLING_BACK, StageStatus.ROLLED_BACK)

# --- the use cases -----------------------------------------------------------------------------


def cut(backends: Backends, request: CutInput) -> CutResult:
    """Cut the train: version, release branch, annotated tag, release draft with the notes."""
    reason = request.override_freeze or request.reason
    if not request.dry_run:
        _authorize(backends, request.actor, "train.cut", reason, target="train/next")
    service = _service(backends, request.actor, forge=True, dry_run=request.dry_run)
    plan = service.cut(
        dry_run=request.dry_run, override_reason=request.override_freeze, reason=request.reason
    )
    return CutResult(plan, request.dry_run)


def hotfix(backends: Backends, request: HotfixInput) -> CutResult:
    """The hotfix lane: branch from a released tag, cherry-pick, patch version, back-merge PR."""
    if not request.dry_run:
        target = f"train/{request.from_tag}"
        _authorize(backends, request.actor, "train.hotfix", request.reason, target=target)
    service = _service(backends, request.actor, forge=True, dry_run=request.dry_run)
    plan = service.hotfix(
        request.from_tag, request.picks, dry_run=request.dry_run, reason=request.reason
    )
    return CutResult(plan, request.dry_run)


def artifact(backends: Backends, request: ArtifactInput) -> TrainResult:
    """Record the train's artifact digest; approvals and gate results bind to it."""
    _authorize(backends, request.actor, "train.artifact", request.reason, train=request.train)
    outcome = _service(backends, request.actor).record_artifact(request.train, request.digest)
    return _result(outcome)


def deploy(backends: Backends, request: DeployInput) -> TrainResult:
    """Deploy the train's artifact to a stage (the stage before must be promoted)."""
    if not request.dry_run:
        _ask_on_stage(backends, "train.deploy", request)
    outcome = _service(backends, request.actor).deploy(
        request.train, request.stage, reason=request.reason, dry_run=request.dry_run
    )
    return _result(outcome)


def verify(backends: Backends, request: VerifyInput) -> VerifyResult:
    """Run the stage's gates for the deployed digest; a failure revokes its approvals. The
    result says whether it failed (`raise_for_verdict` turns that into the exit code)."""
    _ask_on_stage(backends, "train.verify", request)
    verifier = backends.verifier(request.prometheus_url)
    service = _service(backends, request.actor, verifier=verifier)
    outcome = service.verify(request.train, request.stage, request.inputs)
    view = outcome.state.stage(request.stage)
    return VerifyResult(
        outcome.state,
        outcome.applied,
        outcome.planned,
        outcome.message,
        outcome.dry_run,
        verdicts=tuple((gate, Verdict(verdict)) for gate, verdict in view.gate_verdicts),
        stage_name=request.stage,
    )


def approve(backends: Backends, request: ApproveInput) -> TrainResult:
    """Approve a train's digest for a stage (distinct people, not its author, with a reason)."""
    _ask_on_stage(backends, "approve", request)
    service = _service(backends, request.actor)
    return _result(service.approve(request.train, request.stage, request.actor, request.reason))


def promote(backends: Backends, request: PromoteInput) -> TrainResult:
    """Promote a verified, approved digest; `Refused` lists every unmet rule."""
    if not request.dry_run:
        _ask_on_stage(backends, "promote", request)
    outcome = _service(backends, request.actor).promote(
        request.train,
        request.stage,
        request.actor,
        request.reason,
        override_freeze=request.override_freeze,
        expected_version=request.expected_version,
        dry_run=request.dry_run,
    )
    return _result(outcome)


def rollback(backends: Backends, request: RollbackInput) -> TrainResult:
    """Roll a stage back in one step: pin its last known-good (or the given) digest; nothing to
    do when it already runs that."""
    if not request.dry_run:
        _authorize(
            backends,
            request.actor,
            "rollback",
            request.reason,
            stage=request.stage,
            train=request.train,
            target=f"train/{request.train}" if request.train else f"stage/{request.stage}",
        )
    outcome = _service(backends, request.actor).rollback(
        request.stage,
        request.actor,
        request.reason,
        request.to_digest,
        train_id=request.train,
        dry_run=request.dry_run,
    )
    return _result(outcome)


def abort(backends: Backends, request: AbortInput) -> TrainResult:
    """Abort a train that has not been released."""
    _authorize(backends, request.actor, "train.abort", request.reason, train=request.train)
    service = _service(backends, request.actor)
    return _result(service.abort(request.train, request.actor, request.reason))


def resume(backends: Backends, actor: str, train: str | None = None) -> tuple[dict[str, Any], ...]:
    """Finish effects a killed run left pending (never repeats one already done). The effects
    were authorized when they were decided; finishing them asks no one again."""
    # The forge token is only needed if a forge effect is pending; GitHub then says what's missing.
    return _service(backends, actor, forge=True, dry_run=True).resume(train)


# --- reading (changes nothing, asks no one) ---------------------------------------------------


def train_status(backends: Backends, train: str | None = None) -> dict[str, Any]:
    """A train's state (default: the newest), per stage: gates, approvals, what it waits for."""
    return _service(backends, "").status(train)


@dataclass(frozen=True)
class TrainSummary:
    """One line of `train list`."""

    train: str
    kind: str
    version: str
    status: TrainStatus
    digest: str | None
    author: str
    created_at: str  # ISO 8601

    def as_json(self) -> dict[str, Any]:
        return {
            "train": self.train,
            "kind": self.kind,
            "version": self.version,
            "status": self.status.value,
            "digest": self.digest,
            "author": self.author,
            "created_at": self.created_at,
        }


def train_list(backends: Backends) -> tuple[TrainSummary, ...]:
    """Every train, newest first."""
    return tuple(_summary(row) for row in _service(backends, "").list())


def _summary(row: dict[str, Any]) -> TrainSummary:
    return TrainSummary(
        row["train"],
        row["kind"],
        row["version"],
        TrainStatus(row["status"]),
        row["digest"],
        row["author"],
        row["created_at"],
    )


def preview_cut(backends: Backends, at: datetime | None = None) -> dict[str, Any]:
    """What the next cut (or the cut at `at`) would do: commits, version, notes, gates."""
    from trainmaster.train.preview import preview

    now = backends.clock()
    return preview(backends.policy, backends.git, now, at=at, base_dir=backends.base_dir)


class _OnStage(Protocol):
    """A step of a train on a stage, as the policy is asked about it."""

    @property
    def actor(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def train(self) -> str: ...
    @property
    def stage(self) -> str: ...


def _ask_on_stage(backends: Backends, action: str, request: _OnStage) -> None:
    _authorize(
        backends, request.actor, action, request.reason, stage=request.stage, train=request.train
    )


# --- shared steps ------------------------------------------------------------------------------


def _authorize(
    backends: Backends,
    actor: str,
    action: str,
    reason: str,
    *,
    target: str | None = None,
    stage: str | None = None,
    train: str | None = None,
) -> Decision:
    """Refuse (exit 5, audited, nothing changed) unless the policy lets `actor` act."""
    from trainmaster.acting import ask

    where = target or (f"train/{train}" if train else "train")
    return ask(backends, actor, action, where, reason, stage=stage, train=train)


def _service(
    backends: Backends,
    actor: str,
    *,
    forge: bool = False,
    dry_run: bool = False,
    verifier: Verifier | None = None,
) -> TrainService:
    from trainmaster.train.service import TrainService

    return TrainService(
        backends.policy,
        backends.store,
        backends.repo_path,
        forge=backends.forge(require_auth=not dry_run) if forge else None,
        cluster=backends.cluster,
        verifier=verifier,
        clock=backends.clock,
        actor=actor,
        base_dir=backends.base_dir,
        git=backends.git,
    )


def _result(outcome: Outcome) -> TrainResult:
    return TrainResult(
        outcome.state, outcome.applied, outcome.planned, outcome.message, outcome.dry_run
    )

"""The train in the store: load a `TrainState` from rows and save a transition's new state.

Saving is optimistic: the train row is updated only if its row_version is still the one the
state was loaded with, so two people acting on the same train at once cannot both win.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from trainmaster.errors import ConflictError, UsageError
from trainmaster.store.models import (
    ApprovalRow,
    GateResultRow,
    StageRunRow,
    TrainEffectRow,
    TrainRow,
)
from trainmaster.train.model import (
    ApprovalRecord,
    CancelEffects,
    RecordApproval,
    RevokeApprovals,
    StageRules,
    StageStatus,
    StageView,
    TrainState,
    TrainStatus,
    Transition,
)

if TYPE_CHECKING:
    from trainmaster.train.cutting import CutPlan


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def load_train_row(session: Session, train_id: str) -> TrainRow:
    row = session.get(TrainRow, train_id)
    if row is None:
        known = session.execute(select(TrainRow.id).order_by(TrainRow.created_at.desc()).limit(5))
        names = ", ".join(known.scalars()) or "none yet"
        raise UsageError(f"no train {train_id!r} (recent: {names})")
    return row


def load_state(
    session: Session, train_id: str, rules: tuple[StageRules, ...], frozen: str | None = None
) -> TrainState:
    row = load_train_row(session, train_id)
    runs = session.execute(
        select(StageRunRow).where(StageRunRow.train_id == train_id).order_by(StageRunRow.attempt)
    ).scalars()
    latest: dict[str, StageRunRow] = {}
    for run in runs:
        latest[run.stage] = run
    approvals: dict[str, list[ApprovalRecord]] = {}
    for a in session.execute(
        select(ApprovalRow).where(ApprovalRow.train_id == train_id).order_by(ApprovalRow.id)
    ).scalars():
        approvals.setdefault(a.stage, []).append(
            ApprovalRecord(a.approver, a.reason, a.digest, utc(a.created_at) or _epoch(), a.revoked)
        )
    stages = tuple(
        _view(latest[r.name], approvals.get(r.name, [])) if r.name in latest else
        StageView(r.name, approvals=tuple(approvals.get(r.name, [])))
        for r in rules
    )  # fmt: skip
    return TrainState(
        id=row.id,
        kind=row.kind,
        version=row.version,
        author=row.author,
        status=TrainStatus(row.state),
        digest=row.digest,
        row_version=row.row_version,
        rules=rules,
        stages=stages,
        frozen=frozen,
    )


def _view(run: StageRunRow, approvals: list[ApprovalRecord]) -> StageView:
    data = json.loads(run.data or "{}")
    passed = data.get("gates_passed_at")
    return StageView(
        name=run.stage,
        status=StageStatus(run.state),
        attempt=run.attempt,
        digest=run.digest,
        gates_passed_at=datetime.fromisoformat(passed) if passed else None,
        gate_verdicts=tuple((g, v) for g, v in data.get("gate_verdicts", [])),
        approvals=tuple(approvals),
        previous_digest=data.get("previous_digest"),
        promoted_by=data.get("promoted_by"),
        note=data.get("note", ""),
    )


def _epoch() -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC)


def save_transition(
    session: Session, before: TrainState, transition: Transition, now: datetime
) -> TrainState:
    """Persist `transition` over `before`; ConflictError if someone saved the train meanwhile."""
    after = transition.state
    bumped = session.execute(
        update(TrainRow)
        .where(TrainRow.id == before.id, TrainRow.row_version == before.row_version)
        .values(
            state=after.status.value,
            digest=after.digest,
            updated_at=now,
            row_version=before.row_version + 1,
        )
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(
            f"train {before.id} changed while you were acting on it (someone else was first); "
            "check `trainmaster train status` and retry if still needed"
        )
    for view in after.stages:
        if view != before.stage(view.name):
            _save_view(session, before.id, before.stage(view.name), view, now)
    for action in transition.actions:
        if isinstance(action, RecordApproval):
            a = action.approval
            session.add(
                ApprovalRow(
                    train_id=before.id,
                    stage=action.stage,
                    digest=a.digest,
                    approver=a.approver,
                    reason=a.reason,
                    revoked=False,
                    created_at=a.at,
                )
            )
        elif isinstance(action, CancelEffects):
            session.execute(
                update(TrainEffectRow)
                .where(TrainEffectRow.train_id == before.id, TrainEffectRow.status == "pending")
                .values(
                    status="cancelled", result=json.dumps({"cancelled": action.reason}), done_at=now
                )
            )
        elif isinstance(action, RevokeApprovals):
            session.execute(
                update(ApprovalRow)
                .where(
                    ApprovalRow.train_id == before.id,
                    ApprovalRow.stage == action.stage,
                    ApprovalRow.revoked.is_(False),
                )
                .values(revoked=True)
            )
    session.flush()
    return replace(after, row_version=before.row_version + 1)


def _save_view(
    session: Session, train_id: str, old: StageView, new: StageView, now: datetime
) -> None:
    data: dict[str, Any] = {
        "gates_passed_at": new.gates_passed_at.isoformat() if new.gates_passed_at else None,
        "gate_verdicts": [list(p) for p in new.gate_verdicts],
        "previous_digest": new.previous_digest,
        "promoted_by": new.promoted_by,
        "note": new.note,
    }
    if new.attempt != old.attempt or old.attempt == 0:
        session.add(
            StageRunRow(
                train_id=train_id,
                stage=new.name,
                attempt=max(new.attempt, 1),
                state=new.status.value,
                digest=new.digest,
                data=json.dumps(data),
                started_at=now,
                updated_at=now,
                row_version=1,
            )
        )
        return
    session.execute(
        update(StageRunRow)
        .where(
            StageRunRow.train_id == train_id,
            StageRunRow.stage == new.name,
            StageRunRow.attempt == new.attempt,
        )
        .values(
            state=new.status.value,
            digest=new.digest,
            data=json.dumps(data),
            updated_at=now,
            row_version=StageRunRow.row_version + 1,
        )
    )


def record_gate_results(
    session: Session,
    train_id: str,
    stage: str,
    digest: str,
    results: list[tuple[str, str, dict[str, Any]]],
    at: datetime,
) -> None:
    for gate, verdict, evidence in results:
        session.add(
            GateResultRow(
                train_id=train_id,
                stage=stage,
                digest=digest,
                gate=gate,
                verdict=verdict,
                # the shape `gate run` writes (gates.service.record_report): one JSON per signal
                evidence=json.dumps(evidence, sort_keys=True, default=str),
                evaluated_at=at,
            )
        )


def gate_summary(session: Session, train_id: str) -> dict[str, dict[str, str]]:
    """Latest verdict per stage and gate, for the release notes' SLO status."""
    rows = session.execute(
        select(GateResultRow)
        .where(GateResultRow.train_id == train_id)
        .order_by(GateResultRow.evaluated_at, GateResultRow.id)
    ).scalars()
    summary: dict[str, dict[str, str]] = {}
    for row in rows:
        summary.setdefault(row.stage, {})[row.gate] = row.verdict
    return summary


def open_train(session: Session, train_id: str, now: datetime, actor: str) -> None:
    """The cut's effects (branch, tag, release draft) are all done: the train is open."""
    from trainmaster.audit.log import append_event

    row = load_train_row(session, train_id)
    if row.state != TrainStatus.CUTTING.value:
        return
    row.state = TrainStatus.OPEN.value
    row.updated_at = now
    row.row_version += 1
    append_event(
        session,
        actor=actor,
        action="train.opened",
        target=f"train/{train_id}",
        payload={"tag": row.tag, "branch": row.branch, "row_version": row.row_version},
    )


def record_cut(session: Session, plan: CutPlan, *, actor: str, reason: str, now: datetime) -> None:
    """The cut's intent: the train (cutting), its effects (pending) and the audit event."""
    from trainmaster.audit.log import append_event
    from trainmaster.train.cutting import CutRefused
    from trainmaster.train.effects import record_intents

    if session.get(TrainRow, plan.train_id) is not None:
        raise CutRefused(f"train {plan.train_id} already exists")
    session.add(
        TrainRow(
            id=plan.train_id,
            kind=plan.kind,
            version=plan.version,
            state=TrainStatus.CUTTING.value,
            branch=plan.branch,
            tag=plan.tag,
            commit_sha=plan.sha,
            digest=None,
            author=actor,
            notes=plan.notes,
            data=json.dumps({k: v for k, v in plan.as_dict().items() if k != "effects"}),
            created_at=now,
            updated_at=now,
            row_version=1,
        )
    )
    session.flush()
    intents = [(e.kind, dict(e.params)) for e in plan.effects]
    record_intents(session, plan.train_id, "", intents, f"{plan.train_id}/cut", now)
    append_event(
        session,
        actor=actor,
        action="train.hotfix" if plan.kind == "hotfix" else "train.cut",
        target=f"train/{plan.train_id}",
        reason=reason,
        payload=plan.as_dict(),
    )

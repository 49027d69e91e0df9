"""Reading trains: `train status` (per stage what it waits for, unfinished effects), `train list`,
and which train a stage rollback applies to."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainmaster.errors import UsageError
from trainmaster.store.models import TrainEffectRow, TrainRow
from trainmaster.train.approvals import counted_approvals, promotion_blockers
from trainmaster.train.model import StageStatus, TrainState


def train_list(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(select(TrainRow).order_by(TrainRow.created_at.desc())).scalars()
    return [
        {
            "train": r.id,
            "kind": r.kind,
            "version": r.version,
            "status": r.state,
            "digest": r.digest,
            "author": r.author,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]


def latest_train(session: Session) -> str:
    found = session.execute(
        select(TrainRow.id).order_by(TrainRow.created_at.desc()).limit(1)
    ).scalar_one_or_none()
    if found is None:
        raise UsageError("no trains yet; cut one with `trainmaster train cut`")
    return str(found)


def describe(session: Session, state: TrainState, row: TrainRow, now: datetime) -> dict[str, Any]:
    pending = session.execute(
        select(TrainEffectRow.key).where(
            TrainEffectRow.train_id == state.id, TrainEffectRow.status == "pending"
        )
    ).scalars()
    return {
        "train": state.id,
        "kind": state.kind,
        "version": state.version,
        "status": state.status.value,
        "digest": state.digest,
        "author": state.author,
        "branch": row.branch,
        "tag": row.tag,
        "commit": row.commit_sha,
        "row_version": state.row_version,
        "data": json.loads(row.data or "{}"),
        "frozen": state.frozen,
        "stages": [_stage(state, rule.name, now) for rule in state.rules],
        "pending_effects": list(pending),
    }


def _stage(state: TrainState, name: str, now: datetime) -> dict[str, Any]:
    rules = state.rule(name)
    view = state.stage(name)
    counted = counted_approvals(state, view, rules, None)
    waiting: list[str] = []
    if view.status is StageStatus.AWAITING_APPROVAL:
        waiting = promotion_blockers(state, rules, "", now)
    return {
        "stage": name,
        "status": view.status.value,
        "attempt": view.attempt,
        "digest": view.digest,
        "gates": dict(view.gate_verdicts),
        "required_gates": list(rules.gates),
        "approvals": [
            {
                "approver": a.approver,
                "reason": a.reason,
                "digest": a.digest,
                "at": a.at.isoformat(),
                "revoked": a.revoked,
            }
            for a in view.approvals
        ],
        "quorum": rules.quorum,
        "counted": len(counted),
        "wait": int(rules.wait.total_seconds()),
        "gates_passed_at": view.gates_passed_at.isoformat() if view.gates_passed_at else None,
        "previous_digest": view.previous_digest,
        "promoted_by": view.promoted_by,
        "waiting_for": waiting,
    }


def train_attributes(session: Session, train: str | None) -> dict[str, Any]:
    """What the authorization policy may judge a train by: its author and kind (only its id for
    an unknown train: the train's own rules report that)."""
    if train is None:
        return {}
    row = session.get(TrainRow, train)
    if row is None:
        return {"train": train}
    return {"train": row.id, "author": row.author, "kind": row.kind}


def train_tag(session: Session, train: str) -> str:
    """The train's release tag (its id when the store does not know it)."""
    row = session.get(TrainRow, train)
    return row.tag if row is not None else train

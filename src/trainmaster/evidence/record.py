"""Everything the store knows about one train, read once into frozen values.

This is the only evidence module that touches the store; the report, the charts and the bundle
work from a `TrainRecord`. Unknown JSON fields written by other features are kept as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from trainmaster.audit.chain import GENESIS, AuditEvent
from trainmaster.audit.log import event_from_row
from trainmaster.errors import UsageError
from trainmaster.store import Store
from trainmaster.store.models import (
    ApprovalRow,
    AuditEventRow,
    GateResultRow,
    StageRunRow,
    TrainRow,
)


@dataclass(frozen=True)
class TrainInfo:
    id: str
    kind: str
    version: str
    state: str
    branch: str
    tag: str
    commit_sha: str
    digest: str | None
    author: str
    notes: str
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StageRun:
    stage: str
    attempt: int
    state: str
    digest: str | None
    data: dict[str, Any]
    started_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class GateResult:
    id: int
    stage: str
    gate: str
    verdict: str
    digest: str | None
    evidence: dict[str, Any]
    evaluated_at: datetime


@dataclass(frozen=True)
class Approval:
    stage: str
    digest: str
    approver: str
    reason: str
    revoked: bool
    created_at: datetime


@dataclass(frozen=True)
class AuditExcerpt:
    """A contiguous run of the chain from the train's first event to its last.

    Events of other targets inside the run are kept: the chain can only be re-checked when no
    link is missing. `start_prev` is the hash the first event must link to.
    """

    start_prev: str
    events: tuple[AuditEvent, ...]
    train_seqs: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class TrainRecord:
    train: TrainInfo
    stage_runs: tuple[StageRun, ...]
    gates: tuple[GateResult, ...]
    approvals: tuple[Approval, ...]
    audit: AuditExcerpt
    # The latest governance changes applied before the cut: what protected the release.
    governance: tuple[AuditEvent, ...] = ()


def json_object(text: str | None) -> dict[str, Any]:
    """Parse a JSON column; anything that is not an object is kept under "value"."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"unparsed": text}
    return value if isinstance(value, dict) else {"value": value}


def belongs_to(target: str, train_id: str) -> bool:
    """Targets name a train as `v1.4.0`, `v1.4.0/prod`, `train/v1.4.0` or `train:v1.4.0`."""
    # Whole path segments only: `v1.4` must not take `v1.40`; an id may itself contain a slash.
    return f"/{train_id}/" in f"/{target.replace(':', '/')}/"


def read_train(store: Store, train_id: str) -> TrainRecord:
    with store.transaction() as session:
        row = session.get(TrainRow, train_id)
        if row is None:
            raise UsageError(f"no train {train_id!r} in the store")
        train = _train(row)
        runs = session.execute(
            select(StageRunRow)
            .where(StageRunRow.train_id == train_id)
            .order_by(StageRunRow.started_at, StageRunRow.id)
        ).scalars()
        stage_runs = tuple(
            StageRun(
                r.stage,
                r.attempt,
                r.state,
                r.digest,
                json_object(r.data),
                r.started_at,
                r.updated_at,
            )
            for r in runs
        )
        gate_rows = session.execute(
            select(GateResultRow)
            .where(GateResultRow.train_id == train_id)
            .order_by(GateResultRow.evaluated_at, GateResultRow.id)
        ).scalars()
        gates = tuple(
            GateResult(
                g.id, g.stage, g.gate, g.verdict, g.digest, json_object(g.evidence), g.evaluated_at
            )
            for g in gate_rows
        )
        approval_rows = session.execute(
            select(ApprovalRow)
            .where(ApprovalRow.train_id == train_id)
            .order_by(ApprovalRow.created_at, ApprovalRow.id)
        ).scalars()
        approvals = tuple(
            Approval(a.stage, a.digest, a.approver, a.reason, bool(a.revoked), a.created_at)
            for a in approval_rows
        )
    excerpt = _excerpt(store, train_id)
    first = excerpt.events[0].seq if excerpt.events else None
    return TrainRecord(
        train, stage_runs, gates, approvals, excerpt, _governance(store, before_seq=first)
    )


GOVERNANCE_EVENTS = 50  # enough to show the repositories' protections at the cut


def _governance(store: Store, *, before_seq: int | None) -> tuple[AuditEvent, ...]:
    query = select(AuditEventRow).where(AuditEventRow.action.startswith("governance."))
    if before_seq is not None:
        query = query.where(AuditEventRow.seq < before_seq)
    with store.transaction() as session:
        rows = session.execute(
            query.order_by(AuditEventRow.seq.desc()).limit(GOVERNANCE_EVENTS)
        ).scalars()
        return tuple(reversed([event_from_row(r) for r in rows]))


def _train(row: TrainRow) -> TrainInfo:
    return TrainInfo(
        id=row.id,
        kind=row.kind,
        version=row.version,
        state=row.state,
        branch=row.branch,
        tag=row.tag,
        commit_sha=row.commit_sha,
        digest=row.digest,
        author=row.author,
        notes=row.notes or "",
        data=json_object(row.data),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _excerpt(store: Store, train_id: str) -> AuditExcerpt:
    with store.transaction() as session:
        # Targets are matched loosely in SQL, exactly in Python (`v1.4` must not take `v1.40`).
        candidates = session.execute(
            select(AuditEventRow.seq, AuditEventRow.target).where(
                AuditEventRow.target.contains(train_id)
            )
        ).all()
        seqs = sorted(seq for seq, target in candidates if belongs_to(target, train_id))
        if not seqs:
            return AuditExcerpt(GENESIS, ())
        rows = session.execute(
            select(AuditEventRow)
            .where(AuditEventRow.seq >= seqs[0] - 1, AuditEventRow.seq <= seqs[-1])
            .order_by(AuditEventRow.seq)
        ).scalars()
        events = [event_from_row(r) for r in rows]
    before = [e for e in events if e.seq < seqs[0]]
    start_prev = before[-1].hash if before else GENESIS
    run = tuple(e for e in events if e.seq >= seqs[0])
    return AuditExcerpt(start_prev, run, frozenset(seqs))

"""The `jobs` table: durable scheduled and deferred work (migration 19_jobs).

One row per job. `key` is the job's identity (the train, the stage, the scheduled instant), unique,
so enqueuing the same work twice — from two replicas, or a retried transaction — stores it once.
A running job is owned by one runner until `lease_until`; a runner that dies stops renewing its
lease and another runner takes the job over when it expires."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from trainmaster.jobs.model import FINISHED, Job, JobSpec, JobStatus
from trainmaster.jobs.plan import StageSnapshot, TrainSnapshot
from trainmaster.store.models import Base


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "run_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(512), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    status: Mapped[str] = mapped_column(String(16))  # see jobs.model.JobStatus
    run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- the repository: every read and write of `jobs` ------------------------------------------


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the zone


def to_job(row: JobRow) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        key=row.key,
        payload=json.loads(row.payload or "{}"),
        status=JobStatus(row.status),
        run_at=_utc(row.run_at) or row.run_at,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        owner=row.owner,
        lease_until=_utc(row.lease_until),
        last_error=row.last_error,
        result=json.loads(row.result or "{}"),
        created_at=_utc(row.created_at) or row.created_at,
        started_at=_utc(row.started_at),
        finished_at=_utc(row.finished_at),
    )


def enqueue(session: Session, spec: JobSpec, now: datetime) -> bool:
    """Store `spec` unless a job with its key exists (whatever its status). True when stored.
    One statement, so two replicas enqueuing the same key at once store it once."""
    return enqueue_many(session, [spec], now) == 1


def enqueue_many(session: Session, specs: list[JobSpec], now: datetime) -> int:
    """Store each spec whose key is new, in multi-row statements; how many were stored."""
    if not specs:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(JobRow).on_conflict_do_nothing(index_elements=["key"]).returning(JobRow.id)
    # executemany with RETURNING: SQLAlchemy batches the rows into multi-row statements
    # ("insertmanyvalues") compiled once, on both databases
    return len(session.execute(statement, [_row(spec, now) for spec in specs]).all())


def _row(spec: JobSpec, now: datetime) -> dict[str, object]:
    return {
        "key": spec.key,
        "kind": spec.kind,
        "payload": json.dumps(spec.payload, sort_keys=True),
        "status": JobStatus.SCHEDULED.value,
        "run_at": spec.run_at,
        "attempts": 0,
        "max_attempts": spec.max_attempts,
        "last_error": "",
        "result": "{}",
        "created_at": now,
        "updated_at": now,
    }


def claim(session: Session, owner: str, now: datetime, lease: float) -> Job | None:
    """Take the most overdue job that is due, or whose owner's lease ran out, for `owner`.
    PostgreSQL: `FOR UPDATE SKIP LOCKED`, so replicas claim different jobs without waiting;
    SQLite: the store's `BEGIN IMMEDIATE` already serializes the whole transaction."""
    due = or_(
        (JobRow.status == JobStatus.SCHEDULED.value) & (JobRow.run_at <= now),
        (JobRow.status == JobStatus.RUNNING.value) & (JobRow.lease_until < now),
    )
    query = select(JobRow).where(due).order_by(JobRow.run_at, JobRow.id).limit(1)
    row = session.execute(query.with_for_update(skip_locked=True)).scalars().first()
    if row is None:
        return None
    row.status = JobStatus.RUNNING.value
    row.owner = owner
    row.lease_until = now + timedelta(seconds=lease)
    row.attempts += 1
    row.started_at = now
    row.updated_at = now
    session.flush()
    return to_job(row)


def _mine(job_id: int, owner: str) -> ColumnElement[bool]:
    return and_(
        JobRow.id == job_id, JobRow.owner == owner, JobRow.status == JobStatus.RUNNING.value
    )


def renew(session: Session, job_id: int, owner: str, until: datetime, now: datetime) -> bool:
    """Extend `owner`'s lease; False when the job is no longer theirs (taken over, cancelled)."""
    done = session.execute(
        update(JobRow).where(_mine(job_id, owner)).values(lease_until=until, updated_at=now)
    )
    return bool(getattr(done, "rowcount", 0))


def finish(
    session: Session,
    job_id: int,
    owner: str,
    now: datetime,
    *,
    status: JobStatus,
    result: dict[str, object] | None = None,
    error: str = "",
    run_at: datetime | None = None,
) -> bool:
    """Record the end of `owner`'s attempt (fenced: a runner that lost the job records nothing).
    `status` SCHEDULED with `run_at` is a retry later."""
    values: dict[str, object] = {
        "status": status.value,
        "owner": None if status is JobStatus.SCHEDULED else owner,
        "lease_until": None,
        "last_error": error,
        "updated_at": now,
    }
    if result is not None:
        values["result"] = json.dumps(result, sort_keys=True, default=str)
    if status in FINISHED:
        values["finished_at"] = now
    if run_at is not None:
        values["run_at"] = run_at
    done = session.execute(update(JobRow).where(_mine(job_id, owner)).values(**values))
    return bool(getattr(done, "rowcount", 0))


def get(session: Session, ident: int | str) -> Job | None:
    query = select(JobRow).where(
        JobRow.id == ident if isinstance(ident, int) else JobRow.key == ident
    )
    row = session.execute(query).scalars().first()
    return to_job(row) if row else None


def listing(
    session: Session,
    *,
    statuses: tuple[JobStatus, ...] = (),
    kind: str | None = None,
    limit: int = 200,
) -> list[Job]:
    query = select(JobRow)
    if statuses:
        query = query.where(JobRow.status.in_([s.value for s in statuses]))
    if kind:
        query = query.where(JobRow.kind == kind)
    query = query.order_by(JobRow.run_at.desc(), JobRow.id.desc()).limit(limit)
    return [to_job(row) for row in session.execute(query).scalars()]


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(JobRow.status, func.count()).group_by(JobRow.status))
    return {status: int(n) for status, n in rows}


def set_status(
    session: Session,
    job_id: int,
    now: datetime,
    status: JobStatus,
    *,
    allowed: frozenset[JobStatus],
) -> Job | None:
    """Move a job to `status` (retry: SCHEDULED now; cancel: CANCELLED) when it is in `allowed`;
    None when the job is unknown; the unchanged job when it is not in `allowed`."""
    row = session.get(JobRow, job_id, with_for_update=True)
    if row is None:
        return None
    if JobStatus(row.status) in allowed:
        row.status = status.value
        row.updated_at = now
        row.owner = None
        row.lease_until = None
        if status is JobStatus.SCHEDULED:
            row.run_at = now
            row.attempts = 0
            row.finished_at = None
        else:
            row.finished_at = now
        session.flush()
    return to_job(row)


def lag_seconds(session: Session, now: datetime) -> float:
    """How late the most overdue due job is (0 when nothing is due)."""
    oldest = session.execute(
        select(func.min(JobRow.run_at)).where(
            JobRow.status == JobStatus.SCHEDULED.value, JobRow.run_at <= now
        )
    ).scalar()
    moment = _utc(oldest)
    return max(0.0, (now - moment).total_seconds()) if moment else 0.0


def train_snapshots(session: Session, since: datetime) -> list[TrainSnapshot]:
    """Trains changed since `since`, each stage at its latest attempt: what the planner reads."""
    from trainmaster.store.models import StageRunRow, TrainRow

    trains = session.execute(select(TrainRow).where(TrainRow.updated_at >= since)).scalars().all()
    if not trains:
        return []
    runs = session.execute(
        select(StageRunRow)
        .where(StageRunRow.train_id.in_([t.id for t in trains]))
        .order_by(StageRunRow.attempt)
    ).scalars()
    latest: dict[tuple[str, str], StageRunRow] = {}
    for run in runs:
        latest[(run.train_id, run.stage)] = run  # ordered by attempt: the last one wins
    return [
        TrainSnapshot(
            id=t.id,
            status=t.state,
            updated_at=_utc(t.updated_at) or t.updated_at,
            digest=t.digest,
            stages=tuple(
                StageSnapshot(r.stage, r.state, r.attempt, _utc(r.updated_at) or r.updated_at)
                for (train_id, _), r in latest.items()
                if train_id == t.id
            ),
        )
        for t in trains
    ]


def gate_verdicts(session: Session) -> dict[str, int]:
    """Gate evaluations on record, by verdict (every `gate run`, verification and watch tick
    writes one row per gate): what the server's /metrics reports as gate evaluations."""
    from trainmaster.store.models import GateResultRow

    rows = session.execute(
        select(GateResultRow.verdict, func.count()).group_by(GateResultRow.verdict)
    )
    return {verdict: int(n) for verdict, n in rows}

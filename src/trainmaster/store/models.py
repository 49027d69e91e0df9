"""Every table trainmaster keeps (the store owns them all); each feature adds its own through an
Alembic migration (see store/migrations). The jobs and the notification outbox keep theirs in
`store/jobs.py` and `notify/outbox.py` for now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class TrainRow(Base):
    __tablename__ = "trains"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. "v1.4.0"
    kind: Mapped[str] = mapped_column(String(16))  # scheduled | hotfix
    version: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    branch: Mapped[str] = mapped_column(String(255))
    tag: Mapped[str] = mapped_column(String(255))
    commit_sha: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str | None] = mapped_column(String(128), nullable=True)
    author: Mapped[str] = mapped_column(String(255))
    notes: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON: anything feature-specific
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    row_version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic locking


class StageRunRow(Base):
    __tablename__ = "stage_runs"
    __table_args__ = (UniqueConstraint("train_id", "stage", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    train_id: Mapped[str] = mapped_column(ForeignKey("trains.id"))
    stage: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str | None] = mapped_column(String(128), nullable=True)
    data: Mapped[str] = mapped_column(Text, default="{}")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    row_version: Mapped[int] = mapped_column(Integer, default=1)


class GateResultRow(Base):
    __tablename__ = "gate_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    train_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    stage: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str | None] = mapped_column(String(128), nullable=True)
    gate: Mapped[str] = mapped_column(String(128))
    verdict: Mapped[str] = mapped_column(String(16))  # pass | fail | inconclusive
    evidence: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    evaluated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApprovalRow(Base):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    train_id: Mapped[str] = mapped_column(ForeignKey("trains.id"))
    stage: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(128))
    approver: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    revoked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))  # ISO 8601 UTC, exactly as hashed
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(128), index=True)
    target: Mapped[str] = mapped_column(String(512), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON, exactly as hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class TrainEffectRow(Base):
    """One side effect of a train transition: intent recorded before, completion after (issue 9)."""

    __tablename__ = "train_effects"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)  # the idempotency key
    train_id: Mapped[str] = mapped_column(ForeignKey("trains.id"))
    stage: Mapped[str] = mapped_column(String(64))  # "" for the cut's own effects
    seq: Mapped[int] = mapped_column(Integer)  # order within the transition
    kind: Mapped[str] = mapped_column(String(64))  # cluster.deploy, git.tag, forge.release, ...
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    status: Mapped[str] = mapped_column(String(16))  # pending | done
    result: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class GateWatchRow(Base):
    """A gate watch's durable analysis (migration 5_gate_watch; read by gates/watch_state.py)."""

    __tablename__ = "gate_watches"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    stage: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    image: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    interval_seconds: Mapped[float] = mapped_column(Float)
    evaluations: Mapped[int] = mapped_column(Integer, default=0)
    last_verdict: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_evaluated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    plan: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the rollback plan, once made
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    row_version: Mapped[int] = mapped_column(Integer, default=1)


class EtagRow(Base):
    """GitHub's ETag cache (migration 0003_github_etags; read by adapters/github/etags.py)."""

    __tablename__ = "github_etags"

    key: Mapped[str] = mapped_column(String(1024), primary_key=True)  # request URL
    etag: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)  # JSON of the last 200 body

"""The durable state of a gate watch (table `gate_watches`, migration 5_gate_watch).

One row per analysis: the stage, the rollout target and the image it watches. Updates use
optimistic locking (`row_version`), so two watchers of the same rollout never both act."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from trainmaster.errors import ConflictError
from trainmaster.store.models import GateWatchRow  # app-layer: the store owns the table

RUNNING = "running"
ROLLING_BACK = "rolling_back"  # the plan is written; the cluster call may not have happened yet
DONE = {"passed", "inconclusive", "rolled_back", "failed"}


@dataclass(frozen=True)
class WatchState:
    key: str
    stage: str
    target: str
    image: str
    status: str
    started_at: datetime
    deadline: datetime
    interval_seconds: float
    evaluations: int
    last_verdict: str | None
    plan: str
    row_version: int


def _state(row: GateWatchRow) -> WatchState:
    return WatchState(
        key=row.key,
        stage=row.stage,
        target=row.target,
        image=row.image,
        status=row.status,
        started_at=_utc(row.started_at),
        deadline=_utc(row.deadline),
        interval_seconds=row.interval_seconds,
        evaluations=row.evaluations,
        last_verdict=row.last_verdict,
        plan=row.plan,
        row_version=row.row_version,
    )


def _utc(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the zone


def load_or_start(session: Session, fresh: WatchState, now: datetime) -> tuple[WatchState, bool]:
    """An unfinished watch of the same rollout (whatever image it shows now: a half-done undo
    changed it), else the watch with `fresh.key`; else `fresh`, stored. resumed: not fresh."""
    unfinished = (
        select(GateWatchRow)
        .where(
            GateWatchRow.stage == fresh.stage,
            GateWatchRow.target == fresh.target,
            GateWatchRow.status.in_((RUNNING, ROLLING_BACK)),
        )
        .order_by(GateWatchRow.started_at.desc())
        .limit(1)
    )
    row = (
        session.execute(unfinished).scalars().first()
        or session.get(GateWatchRow, fresh.key)
        or _restored_by(session, fresh)
    )
    if row is not None:
        return _state(row), True
    session.add(
        GateWatchRow(
            key=fresh.key,
            stage=fresh.stage,
            target=fresh.target,
            image=fresh.image,
            status=fresh.status,
            started_at=fresh.started_at,
            deadline=fresh.deadline,
            interval_seconds=fresh.interval_seconds,
            evaluations=0,
            plan="{}",
            updated_at=now,
            row_version=1,
        )
    )
    session.flush()
    return fresh, False


def _restored_by(session: Session, fresh: WatchState) -> GateWatchRow | None:
    """The rolled-back watch whose rollback brought back the image now serving: watching that
    image afresh could roll back a second time, to an even older release."""
    import json

    latest = (
        session.execute(
            select(GateWatchRow)
            .where(GateWatchRow.stage == fresh.stage, GateWatchRow.target == fresh.target)
            .order_by(GateWatchRow.updated_at.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )
    if latest is None or latest.status != "rolled_back":
        return None
    return latest if json.loads(latest.plan).get("restored_image") == fresh.image else None


def save(session: Session, state: WatchState, now: datetime, **changes: object) -> WatchState:
    """Write `changes` if nobody else wrote since `state` was read; else ConflictError."""
    done = session.execute(
        update(GateWatchRow)
        .where(GateWatchRow.key == state.key, GateWatchRow.row_version == state.row_version)
        .values(**changes, updated_at=now, row_version=state.row_version + 1)
    )
    if getattr(done, "rowcount", 1) != 1:
        raise ConflictError(f"watch {state.key} was changed by another watcher; not acting twice")
    row = session.get(GateWatchRow, state.key)
    assert row is not None
    session.refresh(row)
    return _state(row)

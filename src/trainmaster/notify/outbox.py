"""The outbox: notifications waiting to be delivered, delivered, or dead-lettered.

Rows are added inside the transaction of the audit event that causes them, so a notification
exists exactly when its cause committed. Delivery claims a due row by moving its
`next_attempt_at` forward with a conditional UPDATE (a lease): two deliverers never send the same
attempt, and a deliverer killed mid-send leaves the row due again when the lease ends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from trainmaster.store.models import Base

PENDING, SENT, DEAD = "pending", "sent", "dead"


class OutboxRow(Base):
    __tablename__ = "notify_outbox"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the message id (webhook-id)
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(64))
    audit_seq: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)  # the event, canonical JSON, fixed at commit
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class Message:
    id: str
    event_type: str
    target: str
    event: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event_id": self.event["id"],
            "type": self.event_type,
            "target": self.target,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _message(row: OutboxRow) -> Message:
    return Message(
        id=row.id,
        event_type=row.event_type,
        target=row.target,
        event=json.loads(row.payload),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=_utc(row.next_attempt_at),
        last_error=row.last_error,
        created_at=_utc(row.created_at),
        sent_at=_utc(row.sent_at) if row.sent_at else None,
    )


def enqueue(
    session: Session, message_id: str, target: str, event: dict[str, Any], seq: int, now: datetime
) -> bool:
    """Add one message unless it exists (the same event told twice). True when added."""
    if session.get(OutboxRow, message_id) is not None:
        return False
    session.add(
        OutboxRow(
            id=message_id,
            event_id=event["id"],
            event_type=event["type"],
            target=target,
            audit_seq=seq,
            payload=json.dumps(event, sort_keys=True, separators=(",", ":")),
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            last_error="",
            created_at=now,
        )
    )
    return True


def due(session: Session, now: datetime, limit: int = 100) -> list[Message]:
    rows = session.execute(
        select(OutboxRow)
        .where(OutboxRow.status == PENDING, OutboxRow.next_attempt_at <= now)
        .order_by(OutboxRow.audit_seq, OutboxRow.id)
        .limit(limit)
    ).scalars()
    return [_message(r) for r in rows]


def next_due(session: Session) -> datetime | None:
    """When the earliest pending message is due (a leased one: when its lease ends)."""
    from sqlalchemy import func

    found = session.execute(
        select(func.min(OutboxRow.next_attempt_at)).where(OutboxRow.status == PENDING)
    ).scalar_one_or_none()
    return _utc(found) if found is not None else None


def claim(session: Session, message: Message, lease: timedelta, now: datetime) -> bool:
    """Take the message for one attempt; False when another deliverer took it first."""
    result = session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.id == message.id,
            OutboxRow.status == PENDING,
            OutboxRow.attempts == message.attempts,
            OutboxRow.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + lease)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def record_attempt(
    session: Session,
    message_id: str,
    *,
    status: str,
    error: str,
    next_at: datetime | None,
    now: datetime,
) -> None:
    row = session.get(OutboxRow, message_id)
    if row is None:
        return
    row.attempts += 1
    row.status = status
    row.last_error = error[:1000]
    if next_at is not None:
        row.next_attempt_at = next_at
    if status == SENT:
        row.sent_at = now


def listing(session: Session, status: str | None = None, limit: int = 200) -> list[Message]:
    query = select(OutboxRow).order_by(OutboxRow.created_at.desc(), OutboxRow.id).limit(limit)
    if status is not None:
        query = query.where(OutboxRow.status == status)
    return [_message(r) for r in session.execute(query).scalars()]


def requeue(session: Session, message_id: str, now: datetime) -> bool:
    """A dead letter back to pending (after the target was fixed)."""
    row = session.get(OutboxRow, message_id)
    if row is None or row.status != DEAD:
        return False
    row.status, row.attempts, row.next_attempt_at, row.last_error = PENDING, 0, now, ""
    return True


def sent_before(session: Session, cutoff: datetime) -> list[str]:
    """Ids of messages delivered before `cutoff` (what `notify prune` removes)."""
    rows = session.execute(
        select(OutboxRow.id).where(OutboxRow.status == SENT, OutboxRow.sent_at < cutoff)
    ).scalars()
    return list(rows)


def remove(session: Session, ids: list[str]) -> int:
    from sqlalchemy import delete

    removed = 0
    for start in range(0, len(ids), 500):  # bounded IN lists
        result = session.execute(
            delete(OutboxRow).where(OutboxRow.id.in_(ids[start : start + 500]))
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed

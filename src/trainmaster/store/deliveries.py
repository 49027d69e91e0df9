"""The `github_deliveries` table: every webhook delivery GitHub sent us (migration 18).

One row per `X-GitHub-Delivery`, unique, so a redelivery is stored once and processed at most
once. The payload is kept as received so processing can happen after the reply, be retried,
and be looked at later (`trainmaster app deliveries`). `subject` names what the event is about
(`pr:12`), `happened_at` when GitHub says it happened: reordered deliveries are judged by it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from trainmaster.store.models import Base


class DeliveryRow(Base):
    __tablename__ = "github_deliveries"
    __table_args__ = (Index("ix_github_deliveries_subject", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery: Mapped[str] = mapped_column(String(64), unique=True)
    event: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), default="")
    installation: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    repository: Mapped[str] = mapped_column(String(255), default="")
    subject: Mapped[str] = mapped_column(String(128), default="")
    happened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str] = mapped_column(Text, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[str] = mapped_column(Text)  # the raw JSON body, as signed


@dataclass(frozen=True)
class Delivery:
    delivery: str
    event: str
    action: str
    installation: int | None
    repository: str
    subject: str
    happened_at: datetime | None
    received_at: datetime
    processed_at: datetime | None
    outcome: str
    attempts: int
    payload: str

    def as_json(self) -> dict[str, object]:
        return {
            "delivery": self.delivery,
            "event": self.event,
            "action": self.action,
            "repository": self.repository,
            "received": self.received_at.isoformat(),
            "processed": self.processed_at.isoformat() if self.processed_at else None,
            "outcome": self.outcome,
            "attempts": self.attempts,
        }


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the zone


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        row.delivery, row.event, row.action, row.installation, row.repository, row.subject,
        _utc(row.happened_at), _utc(row.received_at) or row.received_at, _utc(row.processed_at),
        row.outcome, row.attempts, row.payload,
    )  # fmt: skip


def add(session: Session, delivery: Delivery) -> bool:
    """Store `delivery` unless its id is stored already; True when stored. One statement, so two
    replicas receiving the same redelivery at once store it once."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        "delivery": delivery.delivery, "event": delivery.event, "action": delivery.action,
        "installation": delivery.installation, "repository": delivery.repository,
        "subject": delivery.subject, "happened_at": delivery.happened_at,
        "received_at": delivery.received_at, "processed_at": delivery.processed_at,
        "outcome": delivery.outcome, "attempts": 0, "payload": delivery.payload,
    }  # fmt: skip
    statement = (
        insert(DeliveryRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["delivery"])
        .returning(DeliveryRow.id)
    )
    return session.execute(statement).first() is not None


def get(session: Session, delivery: str) -> Delivery | None:
    row = session.execute(
        select(DeliveryRow).where(DeliveryRow.delivery == delivery)
    ).scalar_one_or_none()
    return _delivery(row) if row else None


def listing(session: Session, limit: int = 100) -> list[Delivery]:
    rows = session.execute(
        select(DeliveryRow).order_by(DeliveryRow.received_at.desc(), DeliveryRow.id.desc())
        .limit(limit)
    ).scalars()  # fmt: skip
    return [_delivery(row) for row in rows]


def about(session: Session, subject: str) -> list[Delivery]:
    """Every stored delivery about `subject`, in the order they were received."""
    rows = session.execute(
        select(DeliveryRow).where(DeliveryRow.subject == subject).order_by(DeliveryRow.id)
    ).scalars()
    return [_delivery(row) for row in rows]


def record(session: Session, delivery: str, outcome: str, *, processed_at: datetime | None) -> None:
    """One processing attempt's outcome; `processed_at` set once the delivery is finished."""
    session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.delivery == delivery)
        .values(outcome=outcome[:2000], processed_at=processed_at,
                attempts=DeliveryRow.attempts + 1)
    )  # fmt: skip

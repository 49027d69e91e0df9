"""Appending to and reading the audit chain in the store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from trainmaster.audit.chain import GENESIS, AuditEvent, first_broken, seal
from trainmaster.audit.checkpoint import PENDING
from trainmaster.redaction import redact
from trainmaster.store import Store
from trainmaster.store.models import AuditEventRow

_ADVISORY_KEY = 0x7472_6169_6E6D  # "trainm": one lock id for the chain's tail

AppendHook = Callable[[Session, AuditEvent], None]
_hooks: list[AppendHook] = []


def on_append(hook: AppendHook) -> Callable[[], None]:
    """Run `hook` after each append, inside the appending transaction, so what it writes commits
    with the event (the notify outbox). Returns the function that removes it."""
    _hooks.append(hook)
    return lambda: _hooks.remove(hook) if hook in _hooks else None


def utc_now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append_event(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    reason: str = "",
    payload: Any = None,
    at: str | None = None,
) -> AuditEvent:
    """Append one event inside the caller's transaction, so the event and the state change it
    records commit together. Safe under concurrency: on PostgreSQL the tail is locked with a
    transaction-scoped advisory lock; SQLite transactions already hold the write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
    last = session.execute(
        select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    clean_payload = _redacted(payload if payload is not None else {})
    event = seal(
        seq=seq,
        at=at or utc_now_iso(),
        actor=actor,
        action=action,
        target=target,
        reason=redact(reason),
        payload=clean_payload,
        prev=prev,
    )
    session.add(AuditEventRow(**event.body(), hash=event.hash))
    session.flush()
    for hook in tuple(_hooks):
        hook(session, event)
    # Signed and kept outside the store once the transaction commits (audit/checkpoint.py).
    session.info[PENDING] = (event.seq, event.hash)
    return event


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


def event_from_row(row: AuditEventRow) -> AuditEvent:
    """The chain's view of a stored row (what is hashed, exactly as stored)."""
    return AuditEvent(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        reason=row.reason,
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class AuditLog:
    def __init__(self, store: Store) -> None:
        self.store = store

    def append(self, **fields: Any) -> AuditEvent:
        with self.store.transaction() as session:
            return append_event(session, **fields)

    def events(
        self, *, target: str | None = None, action: str | None = None, since_seq: int = 0
    ) -> Iterator[AuditEvent]:
        query = select(AuditEventRow).where(AuditEventRow.seq > since_seq)
        if target is not None:
            query = query.where(AuditEventRow.target.like(f"{target}%"))
        if action is not None:
            query = query.where(AuditEventRow.action == action)
        with self.store.transaction() as session:
            rows = session.execute(query.order_by(AuditEventRow.seq)).scalars().all()
            events = [event_from_row(r) for r in rows]
        yield from events

    def verify(self) -> int | None:
        """The first broken seq, or None when the whole chain is intact."""
        return first_broken(self.events())

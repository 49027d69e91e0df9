"""The audit page: the newest events of the chain and whether the whole chain verifies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from trainmaster.audit.chain import first_broken
from trainmaster.audit.log import AuditLog, event_from_row
from trainmaster.store import Store
from trainmaster.store.models import AuditEventRow

PAGE = 200  # events per page
MAX_PAGE = 1000


def audit_view(store: Store, *, before: int | None = None, limit: int = PAGE) -> dict[str, Any]:
    """A page of events, newest first, ending before seq `before` (default: the tail)."""
    limit = max(1, min(limit, MAX_PAGE))
    query = select(AuditEventRow).order_by(AuditEventRow.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEventRow.seq < before)
    with store.transaction() as session:
        rows = session.execute(query).scalars().all()
        total = session.execute(select(func.count()).select_from(AuditEventRow)).scalar_one()
    events = [event_from_row(r) for r in rows]
    broken = first_broken(AuditLog(store).events())
    return {
        "verified": broken is None,
        "first_broken": broken,
        "total": total,
        "events": [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "reason": e.reason,
                "payload": e.payload,
                "hash": e.hash,
            }
            for e in events
        ],
        "older": events[-1].seq if events and events[-1].seq > 1 else None,
    }


def latest_seq(store: Store) -> int:
    """The chain's tail: any change to any train appends an event, so pages compare this."""
    with store.transaction() as session:
        found = session.execute(select(func.max(AuditEventRow.seq))).scalar_one_or_none()
    return int(found or 0)

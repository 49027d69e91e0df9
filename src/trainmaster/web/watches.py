"""Post-promotion watches (`gate watch`, table gate_watches): which are running, and aborting
one with a reason.

Aborting marks the watch `aborted` through the watch's own optimistic lock: the watcher's next
write finds the row changed and stops without acting (gates.watch_state.save), and no restart
resumes it. It switches off an automatic rollback, so the policy is asked for `gate.override`
on the watch's stage, and the abort is audited (`gate.watch.abort`) with the person and reason."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from trainmaster.audit.log import append_event
from trainmaster.errors import ConflictError, UsageError
from trainmaster.gates.watch_state import RUNNING
from trainmaster.store.models import GateWatchRow
from trainmaster.web.settings import Site

ACTION = "gate.override"
ABORTED = "aborted"


def running_watches(site: Site) -> list[dict[str, Any]]:
    with site.store.transaction() as session:
        rows = session.execute(
            select(GateWatchRow)
            .where(GateWatchRow.status == RUNNING)
            .order_by(GateWatchRow.started_at.desc())
        ).scalars()
        return [
            {
                "key": r.key,
                "stage": r.stage,
                "target": r.target,
                "image": r.image,
                "started_at": r.started_at.isoformat(),
                "deadline": r.deadline.isoformat(),
                "evaluations": r.evaluations,
                "last_verdict": r.last_verdict,
            }
            for r in rows
        ]


def abort_watch(site: Site, actor: str, key: str, reason: str) -> dict[str, Any]:
    """Authorize, then mark the watch aborted and audit it, in one transaction."""
    from trainmaster.policy.enforce import authorize
    from trainmaster.policy.model import AccessRequest

    with site.store.transaction() as session:
        row = session.get(GateWatchRow, key[:512])
        if row is None or row.status != RUNNING:
            raise UsageError(f"no running watch {key!r}")
        stage = row.stage
    target = f"watch/{key}"
    request = AccessRequest(actor, ACTION, target, reason, stage, {"watch": key})
    authorize(site.backends.authorizer, site.store, request)
    now = site.now()
    with site.store.transaction() as session:
        row = session.get(GateWatchRow, key)
        if row is None or row.status != RUNNING:
            raise UsageError(f"no running watch {key!r}")
        # The watch's own optimistic lock: a watcher holding the old row_version stops acting.
        done = session.execute(
            update(GateWatchRow)
            .where(GateWatchRow.key == key, GateWatchRow.row_version == row.row_version)
            .values(status=ABORTED, updated_at=now, row_version=row.row_version + 1)
        )
        if getattr(done, "rowcount", 1) != 1:
            raise ConflictError(f"watch {key} changed while it was being aborted; look again")
        append_event(
            session,
            actor=actor,
            action="gate.watch.abort",
            target=f"{row.stage}/{row.target}",
            reason=reason,
            payload={"watch": key, "image": row.image, "evaluations": row.evaluations},
        )
    return {"key": key, "status": ABORTED, "stage": stage}

"""`train preview` — what happens Thursday? — and the store's side of the release notes.

Preview reads git and the policy and changes nothing: the commits that would ship, the version,
the notes, every reason the cut would be refused, and per stage the gates and approvals asked.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainmaster.config.model import Policy
from trainmaster.git import Git
from trainmaster.notes.release import Context
from trainmaster.store.models import AuditEventRow, TrainRow
from trainmaster.train.cutting import cut_refusals, draft_cut
from trainmaster.train.records import gate_summary
from trainmaster.train.rules import SCHEDULED, stage_rules
from trainmaster.train.schedule import next_cut


def preview(
    policy: Policy, git: Git, now: datetime, *, at: datetime | None = None, base_dir: Path
) -> dict[str, Any]:
    from trainmaster.notes.compose import notes_text

    git.check_repository()
    upcoming = next_cut(policy.train, now)
    when = at or (upcoming.at if upcoming else now)
    draft = draft_cut(policy, git, when)
    context = Context(
        version=draft.version,
        previous=draft.previous[0] if draft.previous else "",
        date=when.date().isoformat(),
        project=policy.project.name,
    )
    return {
        "at": when.isoformat(),
        "version": draft.version,
        "tag": draft.tag,
        "branch": draft.branch,
        "commit": draft.tip,
        "previous_tag": context.previous or None,
        "commits": [
            {"sha": c.short, "type": c.type, "breaking": c.breaking, "subject": c.description}
            for c in draft.changes
        ],
        "would_refuse": cut_refusals(policy, git, draft, when, None),
        "stages": [
            {
                "stage": r.name,
                "gates": list(r.gates),
                "approvals": r.quorum,
                "wait": int(r.wait.total_seconds()),
                "after": r.previous,
                "manual_promote": r.quorum > 0 or not policy.stages[r.name].auto_promotion,
            }
            for r in stage_rules(policy, SCHEDULED)
        ],
        "notes": notes_text(policy, draft.changes, context, base_dir=base_dir),
    }


def notes_context(session: Session, tag: str, base: Context) -> Context:
    """Gate results and incidents of the train cut as `tag` when the store knows it; else the
    digest serving the last stage now (the rollback target an announcement names)."""
    row = session.execute(select(TrainRow).where(TrainRow.tag == tag)).scalar_one_or_none()
    if row is None:
        released = session.execute(
            select(TrainRow.digest)
            .where(TrainRow.state == "released")
            .order_by(TrainRow.updated_at.desc())
            .limit(1)
        ).scalar_one_or_none()
        return replace(base, previous_digest=released or "")
    incidents = [
        f"{e.action} {e.target.split('/')[-1]} by {e.actor}: {e.reason}".rstrip(": ")
        for e in session.execute(
            select(AuditEventRow)
            .where(
                AuditEventRow.target.like(f"train/{row.id}%"),
                AuditEventRow.action.in_(["rollback", "train.auto_rollback"]),
            )
            .order_by(AuditEventRow.seq)
        ).scalars()
    ]
    data = json.loads(row.data or "{}")
    return replace(
        base,
        version=row.version,
        previous=base.previous or data.get("previous_tag") or "",
        date=row.created_at.date().isoformat(),
        digest=row.digest or "",
        gates=gate_summary(session, row.id),
        incidents=incidents,
    )

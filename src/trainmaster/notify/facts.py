"""Reading what a notification says from the store, inside the cause's own transaction."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainmaster.config.model import Policy
from trainmaster.notify.events import Cause, Facts
from trainmaster.store.models import GateResultRow, TrainRow
from trainmaster.train.model import TrainState
from trainmaster.train.records import load_state
from trainmaster.train.rules import stage_rules

log = logging.getLogger(__name__)


def train_of(session: Session, policy: Policy, cause: Cause) -> tuple[TrainState, TrainRow] | None:
    parts = cause.target.split("/")
    if len(parts) < 2 or parts[0] != "train":
        return None
    row = session.get(TrainRow, parts[1])
    if row is None:
        return None
    return load_state(session, row.id, stage_rules(policy, row.kind)), row


def facts_for(
    session: Session,
    policy: Policy,
    base_dir: Path,
    cause: Cause,
    found: tuple[TrainState, TrainRow] | None,
    kinds: tuple[str, ...],
) -> Facts:
    project = policy.project
    base = Facts(project=project.name, owner=project.owner, pager=project.pager, train=None)
    if found is None:
        return base
    train, row = found
    link = (
        policy.notify.web_url.rstrip("/") + f"/trains/{train.id}" if policy.notify.web_url else None
    )
    gates = latest_gates(session, train.id, cause.stage) if cause.stage else {}
    announcement = None
    if "train.scheduled" in kinds:
        announcement = announcement_of(session, policy, base_dir, row)
    return Facts(
        project=project.name,
        owner=project.owner,
        pager=project.pager,
        train=train,
        tag=row.tag,
        branch=row.branch,
        notes=row.notes,
        gates=gates,
        announcement=announcement,
        link=link,
    )


def latest_gates(session: Session, train_id: str, stage: str) -> dict[str, dict[str, Any]]:
    """The latest result of each gate of one stage of one train (its stored evidence)."""
    rows = session.execute(
        select(GateResultRow)
        .where(GateResultRow.train_id == train_id, GateResultRow.stage == stage)
        .order_by(GateResultRow.evaluated_at, GateResultRow.id)
    ).scalars()
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        evidence = json.loads(row.evidence or "{}")
        latest[row.gate] = {
            **(evidence if isinstance(evidence, dict) else {}),
            "verdict": row.verdict,
        }
    return latest


def announcement_of(
    session: Session, policy: Policy, base_dir: Path, row: TrainRow
) -> dict[str, Any] | None:
    """The seed's change announcement for the train just cut, from its commits. The cut already
    read these commits; reading them again is one local git process. If the repository is not at
    hand (a server acting on a remote repository), the event still goes out, without it."""
    from trainmaster.adapters.git.repo import GitRepo
    from trainmaster.errors import TrainmasterError
    from trainmaster.notes.commits import parse_change
    from trainmaster.notes.compose import notes_data, notes_text
    from trainmaster.notes.release import Context

    previous = str(json.loads(row.data or "{}").get("previous_tag") or "")
    revisions = [f"{previous}..{row.commit_sha}"] if previous else [row.commit_sha]
    try:
        raw = GitRepo(base_dir).log(revisions)
    except (TrainmasterError, OSError) as e:
        log.warning("announcement of %s without its commits: %s", row.id, e)
        return None
    changes = [
        parse_change(c.sha, c.message, author=c.author, email=c.email, date=c.date) for c in raw
    ]
    context = Context(
        version=row.version,
        previous=previous,
        project=policy.project.name,
        owner=policy.project.owner,
        pager=policy.project.pager,
        previous_digest=_serving(session) or "",
    )
    data = notes_data(policy, changes, context, kind="announce")
    data["text"] = notes_text(policy, changes, context, kind="announce", base_dir=base_dir)
    return data


def _serving(session: Session) -> str | None:
    """The digest of the last released train: what a rollback of the next one goes back to."""
    return session.execute(
        select(TrainRow.digest)
        .where(TrainRow.state == "released")
        .order_by(TrainRow.updated_at.desc())
        .limit(1)
    ).scalar_one_or_none()

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
        return _outside_a_train(session, cause, base) if "train.rolled_back" in kinds else base
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


def latest_gates(session: Session, train_id: str | None, stage: str) -> dict[str, dict[str, Any]]:
    """The latest result of each gate of one stage of one train, or of no train (a watch run
    on its own), with its stored evidence."""
    of_train = (
        GateResultRow.train_id.is_(None) if train_id is None else GateResultRow.train_id == train_id
    )
    rows = session.execute(
        select(GateResultRow)
        .where(of_train, GateResultRow.stage == stage)
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


def _outside_a_train(session: Session, cause: Cause, base: Facts) -> Facts:
    """A rollback no train recorded: a person's `rollout undo`, or a watch run on its own. The
    watch's checkpoint row says what it rolled back from and what serves now."""
    from dataclasses import replace

    from trainmaster.store.models import GateWatchRow

    key = cause.payload.get("watch")
    if not isinstance(key, str):
        return base  # a person's undo: their reason is the why; no criterion
    row = session.get(GateWatchRow, key)
    told = cause.payload.get("plan")
    plan = {**(told if isinstance(told, dict) else {}), **(json.loads(row.plan) if row else {})}
    moved = {"from_digest": plan.get("from_image"), "serving_digest": plan.get("restored_image")}
    gates = latest_gates(session, None, cause.subject_stage)
    return replace(base, gates=gates, rollback=moved)


def told_by_a_train(session: Session, cause: Cause) -> bool:
    """A watch that rolled back through the train (`gate watch --train`, the demo, the job
    runner): the train recorded `train.rolled_back` for this stage after the watch started, and
    that event already notified."""
    from trainmaster.store.models import AuditEventRow

    if "watch" not in cause.payload:
        return False
    started = session.execute(
        select(AuditEventRow.seq)
        .where(AuditEventRow.action == "gate.watch.start", AuditEventRow.target == cause.target)
        .where(AuditEventRow.seq < cause.seq)
        .order_by(AuditEventRow.seq.desc())
        .limit(1)
    ).scalar_one_or_none()
    told = session.execute(
        select(AuditEventRow.seq)
        .where(AuditEventRow.action == "train.rolled_back")
        .where(AuditEventRow.target.like(f"train/%/{cause.subject_stage}"))
        .where(AuditEventRow.seq > (started or 0), AuditEventRow.seq < cause.seq)
        .limit(1)
    ).scalar_one_or_none()
    return told is not None

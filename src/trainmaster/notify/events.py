"""Which notification events an audit event causes, and what each one says: purely computational.

An event is `{"type", "id", "timestamp", "data"}` (the Standard Webhooks payload shape); `data`
follows `schema/notification-event.schema.json`. The event id is derived from what the event is
about (train, stage, digest, attempt), not from when it was seen, so the same fact told twice (a
verification repeated while approval is awaited) is one event and one message per target.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trainmaster.train.model import StageStatus, TrainState, TrainStatus

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Cause:
    """The audit event as the notifier sees it (the chain's fields that matter here)."""

    seq: int
    at: str
    actor: str
    action: str
    target: str
    reason: str
    payload: Mapping[str, Any]

    @property
    def stage(self) -> str:
        parts = self.target.split("/")
        return parts[2] if len(parts) > 2 and parts[0] == "train" else ""

    @property
    def subject_stage(self) -> str:
        """The stage, also for causes outside a train (a rollout or a watch names it itself)."""
        plan = self.payload.get("plan")
        named = self.payload.get("stage") or (plan.get("stage") if isinstance(plan, dict) else "")
        return self.stage or str(named or "")


@dataclass(frozen=True)
class Facts:
    """What the store knows when the cause is appended, read in the same transaction."""

    project: str
    owner: str
    pager: str
    train: TrainState | None
    tag: str = ""
    branch: str = ""
    notes: str = ""
    gates: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # latest per gate
    announcement: Mapping[str, Any] | None = None
    link: str | None = None  # the train's page, when the web UI's address is known
    rollback: Mapping[str, Any] | None = None  # a rollback outside a train: from and to digests


def kinds_for(cause: Cause, train: TrainState | None) -> tuple[str, ...]:
    """The notification types one audit action causes (empty for most actions)."""
    if cause.action in ("train.cut", "train.hotfix"):
        return ("train.scheduled",)
    if cause.action == "governance.drift":
        return ("drift.detected",)
    if cause.action == "rollback" and not cause.target.startswith("train/"):
        # `rollout undo` by a person, or a watch's own rollback (hook.py drops the one a
        # train already told: a watch that rolled back through the train)
        return ("train.rolled_back",)
    return _train_kinds(cause, train) if train is not None else ()


def _train_kinds(cause: Cause, train: TrainState) -> tuple[str, ...]:
    action, verdict = cause.action, cause.payload.get("verdict")
    if action == "approval.requested":  # a reminder from the job runner: ask again
        return ("approval.requested",)
    if action == "train.verify" and verdict == "pass":
        view = train.stage(cause.stage)
        needs = view.status is StageStatus.AWAITING_APPROVAL and _quorum(train, cause.stage) > 0
        return ("approval.requested",) if needs else ()
    if action in ("train.verify", "train.auto_rollback") and verdict == "fail":
        return ("gate.failed",)
    if action == "train.rolled_back":
        return ("train.rolled_back",)
    # Without blue/green a promotion is done when recorded; with it, when the switch is done.
    if action == "train.promoted" or (action == "promote" and not cause.payload.get("effects")):
        released = train.status is TrainStatus.RELEASED and cause.stage == train.rules[-1].name
        return ("train.promoted", "train.released") if released else ("train.promoted",)
    return ()


def _quorum(train: TrainState, stage: str) -> int:
    return next((r.quorum for r in train.rules if r.name == stage), 0)


def event_for(kind: str, cause: Cause, facts: Facts) -> dict[str, Any]:
    """One notification event: the envelope and its type's data."""
    data: dict[str, Any] = {"schema": SCHEMA_VERSION, "project": facts.project}
    train = facts.train
    if train is not None:
        data["train"] = _train(train, facts)
    data["stage"] = cause.subject_stage or None
    data["actor"] = cause.actor
    data["reason"] = cause.reason
    data["link"] = facts.link
    data.update(_BUILDERS[kind](cause, facts))
    return {"type": kind, "id": event_id(kind, cause, facts), "timestamp": cause.at, "data": data}


def event_id(kind: str, cause: Cause, facts: Facts) -> str:
    train = facts.train
    if kind == "drift.detected":
        about = f"drift:{cause.payload.get('fingerprint') or cause.seq}"
    elif train is None:
        about = f"seq:{cause.seq}"
    else:
        view = train.stage(cause.stage)
        about = {
            "train.scheduled": train.id,
            "train.released": train.id,
            "approval.requested": f"{train.id}/{cause.stage}/{view.digest}/{view.attempt}"
            + (f"/reminder:{cause.payload['reminder']}" if cause.payload.get("reminder") else ""),
            "train.promoted": f"{train.id}/{cause.stage}/{view.digest}",
            "train.rolled_back": f"{train.id}/{cause.stage}/{view.attempt}",
        }.get(kind, f"{train.id}/seq:{cause.seq}")
    digest = hashlib.sha256(f"{kind}\0{about}".encode()).hexdigest()[:26]
    return f"evt_{digest}"


def _train(train: TrainState, facts: Facts) -> dict[str, Any]:
    return {
        "id": train.id,
        "version": train.version,
        "lane": train.kind,
        "tag": facts.tag,
        "branch": facts.branch,
        "digest": train.digest,
        "status": train.status.value,
    }


def _scheduled(cause: Cause, facts: Facts) -> dict[str, Any]:
    notes = facts.announcement or {}
    rollback = notes.get("rollback") or {}
    return {
        "announcement": {
            "impact": dict(notes.get("impact") or {}),
            "risk": notes.get("risk", "unknown"),
            "rollback": {
                "command": rollback.get(
                    "command", "trainmaster rollback --env prod --reason '<why>'"
                ),
                "to_digest": rollback.get("to_digest") or None,
            },
            "owner": facts.owner or None,
            "pager": facts.pager or None,
            "migrations": [_short(m, "migration") for m in notes.get("migrations", [])],
            "flags": [_short(f, "flag") for f in notes.get("flags", [])],
            "commits": int(cause.payload.get("commits", 0) or 0),
            "text": str(notes.get("text", "")),
        }
    }


def _short(item: Mapping[str, Any], key: str) -> dict[str, str]:
    return {"name": str(item.get(key, "")), "commit": str(item.get("short", ""))}


def _approval(cause: Cause, facts: Facts) -> dict[str, Any]:
    assert facts.train is not None
    rules = facts.train.rule(cause.stage)
    view = facts.train.stage(cause.stage)
    given = sorted(
        {a.approver for a in view.approvals if not a.revoked and a.digest == view.digest}
    )
    return {
        "approval": {
            "quorum": rules.quorum,
            "approved_by": given,
            "missing": max(rules.quorum - len(given), 0),
            "who_may_approve": sorted(rules.approvers) if rules.approvers is not None else None,
            "author_excluded": rules.exclude_author,
            "wait": int(rules.wait.total_seconds()),
        },
        "gates": {name: g.get("verdict", "") for name, g in sorted(facts.gates.items())},
    }


def _promoted(cause: Cause, facts: Facts) -> dict[str, Any]:
    assert facts.train is not None
    view = facts.train.stage(cause.stage)
    return {"digest": view.digest, "promoted_by": view.promoted_by or cause.actor}


def _failing(facts: Facts) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "verdict": g.get("verdict"),
            "value": g.get("value"),
            "threshold": g.get("threshold"),
            "reason": g.get("reason", ""),
        }
        for name, g in sorted(facts.gates.items())
        if g.get("verdict") == "fail"
    ]


def _rolled_back(cause: Cause, facts: Facts) -> dict[str, Any]:
    failing = _failing(facts)
    first = failing[0] if failing else {}
    if facts.train is not None:
        view = facts.train.stage(cause.stage)
        moved = {"from_digest": view.digest, "serving_digest": view.note or view.previous_digest}
        why = first.get("reason") or view.note or cause.reason
    else:
        known = facts.rollback or {}
        moved = {
            "from_digest": known.get("from_digest"),
            "serving_digest": known.get("serving_digest"),
        }
        why = first.get("reason") or cause.reason
    return {
        "rollback": {
            "criterion": first.get("name"),
            "value": first.get("value"),
            "threshold": first.get("threshold"),
            "why": why,
            **moved,
        },
        "failing": failing,
    }


def _gate_failed(cause: Cause, facts: Facts) -> dict[str, Any]:
    return {"failing": _failing(facts)}


def _released(cause: Cause, facts: Facts) -> dict[str, Any]:
    return {"notes": facts.notes}


def _drift(cause: Cause, facts: Facts) -> dict[str, Any]:
    repos = cause.payload.get("repos", [])
    return {"drift": {"repos": [str(r) for r in repos][:100], "count": len(repos)}}


_BUILDERS = {
    "train.scheduled": _scheduled,
    "approval.requested": _approval,
    "train.promoted": _promoted,
    "train.rolled_back": _rolled_back,
    "gate.failed": _gate_failed,
    "train.released": _released,
    "drift.detected": _drift,
}

"""The effect journal: intent recorded before a side effect, completion after, idempotency keys.

A transition writes its effects as `pending` rows in the same transaction as the state change.
The runner then applies each one through its port, but first asks the port whether the effect
already happened (a process killed after the call and before the completion row), so a resumed
run neither repeats nor loses an effect. Completion is a conditional update: only one resumer
can mark an effect done.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from trainmaster.errors import ExternalError
from trainmaster.rollout.port import RolloutState
from trainmaster.store.models import TrainEffectRow

if TYPE_CHECKING:
    from trainmaster.forge import Forge
    from trainmaster.git import Git
    from trainmaster.rollout.port import Cluster, Target

Checkpoint = Callable[[str], None]


def no_checkpoint(_name: str) -> None:
    """Production: nothing. Tests pass a checkpoint that kills the process at a chosen point."""


@dataclass(frozen=True)
class Effect:
    key: str
    train_id: str
    stage: str
    kind: str
    params: dict[str, Any]


@dataclass
class Ports:
    git: Git | None = None
    forge: Forge | None = None
    cluster: Cluster | None = None
    repo: str = ""  # owner/name on the forge
    target: Callable[[str], Target] | None = None


def record_intents(
    session: Session,
    train_id: str,
    stage: str,
    effects: list[tuple[str, dict[str, Any]]],
    key_prefix: str,
    now: datetime,
) -> list[str]:
    """Write effects as pending rows; keys are `prefix/seq/kind`, stable across retries."""
    start = session.execute(
        select(func.count()).select_from(TrainEffectRow).where(TrainEffectRow.train_id == train_id)
    ).scalar_one()
    keys = []
    for i, (kind, params) in enumerate(effects):
        key = f"{key_prefix}/{i}/{kind}"
        session.add(
            TrainEffectRow(
                key=key,
                train_id=train_id,
                stage=stage,
                seq=start + i,
                kind=kind,
                params=json.dumps(params, sort_keys=True),
                status="pending",
                result="{}",
                created_at=now,
            )
        )
        keys.append(key)
    session.flush()
    return keys


def pending_effects(session: Session, train_id: str | None = None) -> list[Effect]:
    query = select(TrainEffectRow).where(TrainEffectRow.status == "pending")
    if train_id is not None:
        query = query.where(TrainEffectRow.train_id == train_id)
    rows = session.execute(query.order_by(TrainEffectRow.seq)).scalars()
    return [Effect(r.key, r.train_id, r.stage, r.kind, json.loads(r.params)) for r in rows]


def still_pending(session: Session, train_id: str, stage: str) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(TrainEffectRow)
            .where(
                TrainEffectRow.train_id == train_id,
                TrainEffectRow.stage == stage,
                TrainEffectRow.status == "pending",
            )
        ).scalar_one()
    )


def mark_done(session: Session, key: str, result: dict[str, Any], now: datetime) -> bool:
    """True when this call completed the effect; False when another resumer already had."""
    done = session.execute(
        update(TrainEffectRow)
        .where(TrainEffectRow.key == key, TrainEffectRow.status == "pending")
        .values(status="done", result=json.dumps(result, default=str), done_at=now)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def apply_effect(effect: Effect, ports: Ports) -> dict[str, Any]:
    """Apply one effect unless the world shows it already happened; returns what was done."""
    family = effect.kind.split(".", 1)[0]
    if family == "cluster":
        return _cluster(effect, ports)
    if family == "git":
        return _git(effect, ports)
    if family == "forge":
        return _forge(effect, ports)
    raise ExternalError(f"unknown effect kind {effect.kind!r} in the journal")


def _cluster(effect: Effect, ports: Ports) -> dict[str, Any]:
    if ports.cluster is None or ports.target is None:
        raise ExternalError("no cluster backend is configured for this train's effects")
    target = ports.target(effect.stage)
    verb = effect.kind.split(".", 1)[1]
    skipped = _CLUSTER_DONE[verb](ports.cluster.status(target), effect.params)
    if skipped:
        return {"skipped": skipped}
    image = str(effect.params.get("image"))
    calls: dict[str, Callable[[], None]] = {
        "deploy": lambda: ports.cluster.deploy(target, image),  # type: ignore[union-attr]
        "promote": lambda: ports.cluster.promote(target, full=True),  # type: ignore[union-attr]
        "pin": lambda: ports.cluster.pin(target, image),  # type: ignore[union-attr]
        "undo": lambda: ports.cluster.undo(target),  # type: ignore[union-attr]
        "abort": lambda: ports.cluster.abort(target),  # type: ignore[union-attr]
    }
    calls[verb]()
    return {"applied": verb}


def _deployed(state: RolloutState, params: dict[str, Any]) -> str:
    return "already deployed" if params.get("image") in (state.preview, state.stable) else ""


def _promoted(state: RolloutState, params: dict[str, Any]) -> str:
    expect = params.get("expect")
    if state.stable == expect and state.preview in (None, state.stable):
        return "already serving"
    if expect and state.preview != expect:  # never switch traffic to someone else's image
        raise ExternalError(
            f"{state.target.namespace}/{state.target.name}: the preview colour holds "
            f"{state.preview}, not {expect}; deploy again (or abort the train)"
        )
    return ""


def _pinned(state: RolloutState, params: dict[str, Any]) -> str:
    # A pending preview of another image is part of what a rollback removes.
    image = params.get("image")
    return "already serving" if state.stable == image and state.preview in (None, image) else ""


def _undone(state: RolloutState, params: dict[str, Any]) -> str:
    before = int(params.get("revision_before", state.revision))
    return "already undone" if state.revision > before else ""


def _aborted(state: RolloutState, params: dict[str, Any]) -> str:
    return "nothing to abort" if state.preview is None else ""


# Per verb: has the world already got this effect? (the answer after a kill mid-way)
_CLUSTER_DONE: dict[str, Callable[[RolloutState, dict[str, Any]], str]] = {
    "deploy": _deployed,
    "promote": _promoted,
    "pin": _pinned,
    "undo": _undone,
    "abort": _aborted,
}


def _git(effect: Effect, ports: Ports) -> dict[str, Any]:
    git = ports.git
    if git is None:
        raise ExternalError("no git repository for this train's effects")
    params = effect.params
    if effect.kind == "git.branch":
        if git.branch_exists(params["name"]):
            return _same_ref(git, f"refs/heads/{params['name']}", params["sha"])
        git.create_branch(params["name"], params["sha"])
    elif effect.kind == "git.tag":
        if git.tag_exists(params["name"]):
            return _same_ref(git, f"refs/tags/{params['name']}", params["sha"])
        git.create_tag(params["name"], params["sha"], params["message"])
    elif effect.kind == "git.push":
        git.push(params["refs"], params.get("remote", "origin"))
    return {"applied": effect.kind}


def _same_ref(git: Git, ref: str, sha: str) -> dict[str, Any]:
    if git.resolve(ref) != sha:
        raise ExternalError(f"{ref} exists but does not point at {sha[:12]}; someone else made it")
    return {"skipped": "already exists"}


def _forge(effect: Effect, ports: Ports) -> dict[str, Any]:
    if ports.forge is None:
        return {"skipped": "forge backend is none"}
    params = effect.params
    if effect.kind == "forge.release":
        found = ports.forge.find_release(ports.repo, params["tag"])
        if found is not None:
            return {"skipped": "release exists", "url": found.url}
        made = ports.forge.create_release(
            ports.repo,
            tag=params["tag"],
            name=params["name"],
            body=params["body"],
            draft=True,
            target=params.get("target"),
        )
        return {"applied": effect.kind, "url": made.url, "id": made.id}
    if effect.kind == "forge.pull_request":
        pull = ports.forge.open_pull_request(
            ports.repo,
            head=params["head"],
            base=params["base"],
            title=params["title"],
            body=params["body"],
        )
        return {"applied": effect.kind, "url": pull.url, "number": pull.number}
    raise ExternalError(f"unknown forge effect {effect.kind!r}")

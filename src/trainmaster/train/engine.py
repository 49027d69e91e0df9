"""Applying transitions durably: load, decide (pure), save + intents + audit in one transaction,
then run the effects through the ports and record their completion.

Crash safety: every step that changes the world is bracketed by store transactions — the
intent before (a `pending` effect with its idempotency key), the completion after. `resume()`
finishes whatever a killed process left pending, asking each port first whether the effect
already happened, so nothing is lost and nothing is done twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from trainmaster.audit.log import append_event
from trainmaster.config.model import Policy
from trainmaster.store import Store
from trainmaster.train.effects import (
    Checkpoint,
    Ports,
    apply_effect,
    mark_done,
    no_checkpoint,
    pending_effects,
    record_intents,
    still_pending,
)
from trainmaster.train.machine import next_state
from trainmaster.train.model import ClusterAction, EffectsDone, Event, TrainState, Transition
from trainmaster.train.records import load_state, load_train_row, open_train, save_transition
from trainmaster.train.rules import stage_rules
from trainmaster.train.schedule import freeze_at

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outcome:
    """What a command did: the state after it and the effects it applied."""

    state: TrainState
    applied: tuple[dict[str, Any], ...] = ()
    message: str = ""
    planned: tuple[dict[str, Any], ...] = ()  # the effects a dry run would apply
    dry_run: bool = False


class TrainEngine:
    def __init__(
        self,
        policy: Policy,
        store: Store,
        ports: Ports,
        *,
        clock: Clock = system_clock,
        actor: str = "unknown",
        checkpoint: Checkpoint = no_checkpoint,
    ) -> None:
        self.policy = policy
        self.store = store
        self.ports = ports
        self.clock = clock
        self.actor = actor
        self.checkpoint = checkpoint

    def now(self) -> datetime:
        at = self.clock()
        return at if at.tzinfo else at.replace(tzinfo=UTC)

    def frozen(self, at: datetime) -> str | None:
        found = freeze_at(self.policy.train, at)
        return f"{found.name}: {found.reason}" if found else None

    def load(self, session: Session, train_id: str, at: datetime | None = None) -> TrainState:
        kind = load_train_row(session, train_id).kind
        return load_state(
            session, train_id, stage_rules(self.policy, kind), self.frozen(at or self.now())
        )

    def state(self, train_id: str) -> TrainState:
        with self.store.transaction() as session:
            return self.load(session, train_id)

    def plan(self, train_id: str, make_event: Callable[[TrainState], Event]) -> Transition:
        """What `transition` would do, changing nothing (the `--dry-run` of every command)."""
        before = self.state(train_id)
        return next_state(before, make_event(before))

    def transition(
        self,
        train_id: str,
        make_event: Callable[[TrainState], Event],
        *,
        reason: str = "",
        actor: str | None = None,
        expected_version: int | None = None,
        extra_effects: Callable[[TrainState, ClusterAction], dict[str, Any]] | None = None,
        also: Callable[[Session, TrainState], None] | None = None,
        dry_run: bool = False,
        resume_first: bool = True,
    ) -> Outcome:
        """Resume leftovers, decide, then save the new state with its intents and audit event in
        one transaction; the save fails with ConflictError if the train moved since it was read."""
        if dry_run:
            planned = self.plan(train_id, make_event)
            return Outcome(
                planned.state, message=planned.audit, planned=_planned(planned), dry_run=True
            )
        if resume_first:
            self.resume(train_id)
        now = self.now()
        before = self.state(train_id)
        if expected_version is not None and before.row_version != expected_version:
            from trainmaster.errors import ConflictError

            raise ConflictError(
                f"train {train_id} is at version {before.row_version}, not {expected_version}; "
                "someone else acted first"
            )
        event = make_event(before)
        transition = next_state(before, event)
        if not transition.audit:  # nothing to change (e.g. the same approval twice)
            return Outcome(before, message="nothing to do")
        stage = str(getattr(event, "stage", ""))
        self._save(before, transition, now, actor or self.actor, reason, stage, extra_effects, also)
        self.checkpoint("after-intent")
        applied = self.resume(train_id)
        return Outcome(self.state(train_id), applied)

    def _save(
        self,
        before: TrainState,
        transition: Transition,
        now: datetime,
        actor: str,
        reason: str,
        stage: str,
        extra: Callable[[TrainState, ClusterAction], dict[str, Any]] | None,
        also: Callable[[Session, TrainState], None] | None,
    ) -> None:
        cluster = [a for a in transition.actions if isinstance(a, ClusterAction)]
        with self.store.transaction() as session:
            after = save_transition(session, before, transition, now)
            if also is not None:
                also(session, before)
            for name in sorted({a.stage for a in cluster}):
                effects = [
                    (f"cluster.{a.verb}", _params(before, a, extra))
                    for a in cluster
                    if a.stage == name
                ]
                prefix = f"{before.id}/{name}/v{after.row_version}"
                record_intents(session, before.id, name, effects, prefix, now)
            append_event(
                session,
                actor=actor,
                action=transition.audit,
                target=f"train/{before.id}" + (f"/{stage}" if stage else ""),
                reason=reason,
                payload={
                    **transition.details,
                    "row_version": after.row_version,
                    "effects": [f"cluster.{a.verb}" for a in cluster],
                },
            )
            self.checkpoint("intent-commit")  # a kill here rolls the whole transition back

    def resume(self, train_id: str | None = None) -> tuple[dict[str, Any], ...]:
        """Finish every pending effect (of one train, or all); safe to call any time."""
        with self.store.transaction() as session:
            todo = pending_effects(session, train_id)
        applied: list[dict[str, Any]] = []
        for effect in todo:
            self.checkpoint(f"before-{effect.kind}")
            result = apply_effect(effect, self.ports)
            self.checkpoint(f"after-{effect.kind}")
            with self.store.transaction() as session:
                if not mark_done(session, effect.key, result, self.now()):
                    continue  # another resumer finished it first
                append_event(
                    session,
                    actor=self.actor,
                    action=f"effect.{effect.kind}",
                    target=f"train/{effect.train_id}"
                    + (f"/{effect.stage}" if effect.stage else ""),
                    payload={"key": effect.key, "params": _brief(effect.params), "result": result},
                )
                if not still_pending(session, effect.train_id, effect.stage):
                    self._complete(session, effect.train_id, effect.stage)
                self.checkpoint(f"commit-{effect.kind}")
            self.checkpoint(f"done-{effect.kind}")
            applied.append({"key": effect.key, "kind": effect.kind, **result})
        return tuple(applied)

    def _complete(self, session: Session, train_id: str, stage: str) -> None:
        """All effects of a step are done: move the state on in the same transaction."""
        now = self.now()
        if not stage:
            open_train(session, train_id, now, self.actor)
            return
        before = self.load(session, train_id, now)
        transition = next_state(before, EffectsDone(stage, now))
        save_transition(session, before, transition, now)
        append_event(
            session,
            actor=self.actor,
            action=transition.audit,
            target=f"train/{train_id}/{stage}",
            payload={"status": transition.state.stage(stage).status.value},
        )


def _planned(transition: Transition) -> tuple[dict[str, Any], ...]:
    return tuple(
        {"effect": f"cluster.{a.verb}", "stage": a.stage, "image": a.image}
        if isinstance(a, ClusterAction)
        else {"effect": type(a).__name__, "stage": getattr(a, "stage", "")}
        for a in transition.actions
    )


def _params(
    before: TrainState,
    action: ClusterAction,
    extra: Callable[[TrainState, ClusterAction], dict[str, Any]] | None,
) -> dict[str, Any]:
    return {
        "image": action.image,
        "expect": action.expect,
        **(extra(before, action) if extra else {}),
    }


def _brief(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if k != "body" else f"<{len(str(v))} characters>") for k, v in params.items()}

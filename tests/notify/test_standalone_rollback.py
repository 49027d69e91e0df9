"""Rollbacks outside a train — a person's `rollout undo`, a watch run on its own — are told too;
a watch that rolled back through a train is told once, by the train."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema

from tests.train.conftest import Rig
from trainmaster.audit.log import append_event
from trainmaster.gates.watch_state import GateWatchRow
from trainmaster.notify.outbox import listing
from trainmaster.store.models import GateResultRow

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schema" / "notification-event.schema.json").read_text())
WHERE = "prod/maestro/maestro"
OLD, NEW = "ghcr.io/acme/maestro@sha256:" + "0" * 64, "ghcr.io/acme/maestro@sha256:" + "1" * 64


def audit(rig: Rig, action: str, target: str, payload: dict[str, object], reason: str = "") -> None:
    with rig.store.transaction() as session:
        append_event(session, actor="someone", action=action, target=target, reason=reason,
                     payload=payload)  # fmt: skip


def rolled_back(rig: Rig) -> list[dict[str, object]]:
    with rig.store.transaction() as session:
        return [m.event for m in listing(session) if m.event_type == "train.rolled_back"]


def test_a_persons_rollout_undo_is_told_with_their_reason(notify_rig: Rig) -> None:
    audit(notify_rig, "rollback", "maestro/maestro", {"backend": "argo-rollouts", "stage": "prod"},
          reason="p95 regression after the config change")  # fmt: skip
    [event] = rolled_back(notify_rig)
    jsonschema.validate(event, SCHEMA)
    data = event["data"]
    assert "train" not in data and data["stage"] == "prod"  # type: ignore[operator,index]
    assert data["rollback"]["why"] == "p95 regression after the config change"  # type: ignore[index]
    assert data["rollback"]["criterion"] is None  # type: ignore[index]


def test_a_watch_on_its_own_is_told_with_its_criterion(notify_rig: Rig) -> None:
    with notify_rig.store.transaction() as session:
        session.add(GateResultRow(train_id=None, stage="prod", digest=None, gate="error-rate",
                                  verdict="fail", evaluated_at=datetime.now(UTC),
                                  evidence=json.dumps({"value": 0.035, "threshold": 0.02,
                                                       "reason": "error rate 3.5% > 2%"})))  # fmt: skip
    audit(notify_rig, "gate.watch.start", WHERE, {"image": NEW})
    plan = {"stage": "prod", "action": "undo", "from_image": NEW, "signals": ["error-rate"]}
    now = datetime.now(UTC)
    with notify_rig.store.transaction() as session:  # the watch's checkpoint, as it saves it
        session.add(GateWatchRow(key=f"{WHERE}@{NEW}", stage="prod", target="maestro/maestro",
                                 image=NEW, status="rolled_back", started_at=now, deadline=now,
                                 interval_seconds=1.0, evaluations=3, last_verdict="fail",
                                 last_evaluated_at=now, updated_at=now, row_version=3,
                                 plan=json.dumps({**plan, "restored_image": OLD})))  # fmt: skip
    audit(notify_rig, "rollback", WHERE, {"plan": plan, "watch": f"{WHERE}@{NEW}"}, "error rate")
    [event] = rolled_back(notify_rig)
    jsonschema.validate(event, SCHEMA)
    told = event["data"]["rollback"]  # type: ignore[index]
    assert (told["criterion"], told["value"], told["threshold"]) == ("error-rate", 0.035, 0.02)
    assert told["from_digest"] == NEW and told["why"] == "error rate 3.5% > 2%"
    assert told["serving_digest"] == OLD


def test_a_watch_that_rolled_back_through_a_train_is_told_once(notify_rig: Rig) -> None:
    audit(notify_rig, "gate.watch.start", WHERE, {"image": NEW})
    audit(notify_rig, "train.rolled_back", "train/v9.9.9/prod", {})  # what the train recorded
    plan = {"stage": "prod", "action": "undo", "from_image": NEW, "signals": ["error-rate"]}
    audit(notify_rig, "rollback", WHERE, {"plan": plan, "watch": f"{WHERE}@{NEW}"}, "error rate")
    assert rolled_back(notify_rig) == []  # v9.9.9 is not a stored train: only the watch could tell
    audit(notify_rig, "gate.watch.start", WHERE, {"image": OLD})  # a later watch, on its own
    audit(notify_rig, "rollback", WHERE, {"plan": plan, "watch": f"{WHERE}@{OLD}"}, "again")
    assert len(rolled_back(notify_rig)) == 1

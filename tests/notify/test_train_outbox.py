"""A whole train with a signed webhook target: the outbox is written with each state change and
delivered afterwards; every message verifies with the Standard Webhooks reference library."""

from __future__ import annotations

import json
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from tests.notify.receiver import Receiver
from tests.train.conftest import Rig
from tests.train.fakes import DIGEST_A, DIGEST_OLD
from trainmaster.notify.deliver import Deliverer
from trainmaster.notify.outbox import listing


def run_train(rig: Rig, *, fail_prod: bool = False) -> None:
    rig.cluster.pin(rig.service().ports.target("prod"), DIGEST_OLD)
    captain = rig.service("captain")
    captain.cut()
    captain.record_artifact("v1.1.0", DIGEST_A)
    captain.deploy("v1.1.0", "stage")
    captain.verify("v1.1.0", "stage")
    captain.verify("v1.1.0", "stage")  # the same pass again: no second approval request
    rig.service("alice").approve("v1.1.0", "stage", "alice", "smoke and load look fine")
    rig.service("bob").promote("v1.1.0", "stage", "bob", "stage is green")
    captain.deploy("v1.1.0", "prod")
    captain.verify("v1.1.0", "prod")
    rig.service("alice").approve("v1.1.0", "prod", "alice", "dashboards green")
    rig.service("carol").approve("v1.1.0", "prod", "carol", "error budget fine")
    rig.clock.advance(minutes=10)
    rig.service("bob").promote("v1.1.0", "prod", "bob", "ship it")
    rig.service("dave").rollback("prod", "dave", "p95 regression")


def types_in_outbox(rig: Rig) -> list[str]:
    with rig.store.transaction() as session:
        return sorted(m.event_type for m in listing(session))


def test_each_state_change_writes_its_notifications_once(notify_rig: Rig) -> None:
    run_train(notify_rig)
    assert types_in_outbox(notify_rig) == sorted(
        [
            "train.scheduled",
            "approval.requested",  # stage
            "approval.requested",  # prod
            "train.promoted",  # stage
            "train.promoted",  # prod
            "train.released",
            "train.rolled_back",
        ]
    )


def test_delivery_is_signed_and_verifies_with_the_reference_library(
    notify_rig: Rig, hook: Receiver, secret: str, notify_policy: tuple[object, Path]
) -> None:
    run_train(notify_rig)
    assert hook.received == []  # written, not sent: delivery happens outside the transaction
    report = Deliverer(notify_rig.policy, notify_policy[1], notify_rig.store).run()
    assert len(report.sent) == 7 and not report.retrying and not report.dead
    verifier = Webhook(secret)
    events = [verifier.verify(r.body, r.headers) for r in hook.received]
    assert [e["type"] for e in events][:2] == ["train.scheduled", "approval.requested"]
    assert len({r.headers["webhook-id"] for r in hook.received}) == 7
    announcement = events[0]["data"]["announcement"]
    assert announcement["risk"] == "medium"  # a feat, no migrations
    assert announcement["impact"] == {"feat": 1, "fix": 1}
    assert "add the orders endpoint" in announcement["text"]
    rolled = next(e for e in events if e["type"] == "train.rolled_back")
    assert rolled["data"]["rollback"]["serving_digest"] == DIGEST_OLD
    assert rolled["data"]["rollback"]["from_digest"] == DIGEST_A
    # A second run sends nothing: each message is marked sent.
    again = Deliverer(notify_rig.policy, notify_policy[1], notify_rig.store).run()
    assert again.sent == [] and len(hook.received) == 7
    assert json.loads(hook.received[0].body)["id"].startswith("evt_")


def events_in_outbox(rig: Rig) -> list[dict[str, object]]:
    with rig.store.transaction() as session:
        return [m.event for m in reversed(listing(session))]


def test_a_failed_verification_is_a_gate_failed_event(notify_rig: Rig) -> None:
    captain = notify_rig.service("captain")
    captain.cut()
    captain.record_artifact("v1.1.0", DIGEST_A)
    captain.deploy("v1.1.0", "stage")
    notify_rig.verifier.verdicts["error-rate"] = "fail"
    captain.verify("v1.1.0", "stage")
    failed = [e for e in events_in_outbox(notify_rig) if e["type"] == "gate.failed"]
    assert len(failed) == 1
    data = failed[0]["data"]
    assert data["stage"] == "stage"  # type: ignore[index]
    assert [g["name"] for g in data["failing"]] == ["error-rate"]  # type: ignore[index]
    assert not [e for e in events_in_outbox(notify_rig) if e["type"] == "approval.requested"]


def test_an_approval_request_says_who_may_approve_and_what_is_missing(notify_rig: Rig) -> None:
    captain = notify_rig.service("captain")
    captain.cut()
    captain.record_artifact("v1.1.0", DIGEST_A)
    captain.deploy("v1.1.0", "stage")
    captain.verify("v1.1.0", "stage")
    [request] = [e for e in events_in_outbox(notify_rig) if e["type"] == "approval.requested"]
    approval = request["data"]["approval"]  # type: ignore[index]
    assert approval["quorum"] == 1 and approval["missing"] == 1 and approval["approved_by"] == []
    assert approval["author_excluded"] is True
    assert set(request["data"]["gates"].values()) == {"pass"}  # type: ignore[index]
    assert request["data"]["train"]["lane"] == "scheduled"  # type: ignore[index]


def test_a_reminder_from_the_job_runner_asks_again_once_per_reminder(notify_rig: Rig) -> None:
    from trainmaster.audit.log import append_event

    captain = notify_rig.service("captain")
    captain.cut()
    captain.record_artifact("v1.1.0", DIGEST_A)
    captain.deploy("v1.1.0", "stage")
    captain.verify("v1.1.0", "stage")
    for n in (1, 1, 2):  # the jobs handler's audit action; reminder 1 seen twice
        with notify_rig.store.transaction() as session:
            append_event(session, actor="trainmaster-bot", action="approval.requested",
                         target="train/v1.1.0/stage", reason="approval reminder",
                         payload={"reminder": n})  # fmt: skip
    requests = [e for e in events_in_outbox(notify_rig) if e["type"] == "approval.requested"]
    assert len(requests) == 3  # the first request, reminders 1 and 2
    assert len({e["id"] for e in requests}) == 3

"""The pure decisions: signatures (against the Standard Webhooks reference library), secret
formats, backoff and Retry-After, routing, and which audit actions cause which events."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.notify.conftest import SECRET
from trainmaster.config.notify import NotifyTarget
from trainmaster.notify.events import Cause, kinds_for
from trainmaster.notify.retry import CAP_SECONDS, backoff, next_delay, retry_after
from trainmaster.notify.routing import message_id, wants
from trainmaster.notify.signing import secret_problem, webhook_headers
from trainmaster.train.model import StageRules, StageStatus, StageView, TrainState, TrainStatus

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def test_signatures_verify_with_the_reference_library() -> None:
    body = b'{"type":"train.promoted","data":{}}'
    stamp = int(datetime.now(UTC).timestamp())
    headers = webhook_headers(SECRET, "msg_1", stamp, body)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(SECRET).verify(body, headers) == {"type": "train.promoted", "data": {}}
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body + b" ", headers)  # the body is signed
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body, {**headers, "webhook-id": "msg_2"})  # and the id


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (SECRET, None),
        ("s3cr3t-value", "a webhook secret starts with whsec_ followed by base64"),
        ("whsec_not*base64", "the part after whsec_ is not base64"),
        ("whsec_" + base64.b64encode(b"short").decode(), "the key is 5 bytes; use 24 to 64"),
    ],
)
def test_webhook_secret_format(secret: str, problem: str | None) -> None:
    found = secret_problem(secret)
    assert found == problem if problem is None else found is not None and found.startswith(problem)


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    assert [backoff(n, 0.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert [backoff(n, 0.999) for n in (1, 2)] == pytest.approx([1.999, 3.998])
    assert backoff(40, 0.999) < CAP_SECONDS


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert retry_after("120", NOW) == 120.0
    assert retry_after("Thu, 03 Dec 2026 18:01:30 GMT", NOW) == 90.0
    assert retry_after("Thu, 03 Dec 2026 17:00:00 GMT", NOW) == 0.0  # in the past: now
    assert retry_after("soon", NOW) is None and retry_after(None, NOW) is None
    assert retry_after("999999", NOW) == 3600.0  # capped
    assert next_delay(1, 0.0, 120.0) == 120.0  # the receiver asked for longer
    assert next_delay(5, 0.0, 1.0) == 16.0  # our own backoff is longer


def target(**routing: object) -> NotifyTarget:
    return NotifyTarget.model_validate(
        {"name": "t", "type": "webhook", "url": "https://x.example", "secret_env": "S", **routing}
    )


def event(kind: str, lane: str = "scheduled", stage: str | None = "prod") -> dict[str, object]:
    return {"type": kind, "data": {"train": {"lane": lane}, "stage": stage}}


def test_routing_by_event_lane_and_stage() -> None:
    assert wants(target(), event("gate.failed"))
    assert not wants(target(events=["train.promoted"]), event("gate.failed"))
    assert wants(target(events=["train.promoted"]), event("train.promoted"))
    assert not wants(target(lanes=["hotfix"]), event("train.promoted"))
    assert wants(target(lanes=["hotfix"]), event("train.promoted", lane="hotfix"))
    assert not wants(target(stages=["stage"]), event("train.promoted"))
    assert wants(target(stages=["stage"]), event("train.scheduled", stage=None))  # whole train
    assert message_id("evt_1", "a") == message_id("evt_1", "a") != message_id("evt_1", "b")


def train(status: StageStatus, quorum: int = 1, released: bool = False) -> TrainState:
    rules = (StageRules("stage", ()), StageRules("prod", (), quorum=quorum))
    return TrainState(
        "v1", "scheduled", "1", "me",
        TrainStatus.RELEASED if released else TrainStatus.OPEN, "sha256:a", 3, rules,
        (StageView("prod", status),),
    )  # fmt: skip


def cause(action: str, **payload: object) -> Cause:
    return Cause(1, "t", "me", action, "train/v1/prod", "", payload)


def test_which_audit_actions_cause_which_events() -> None:
    waiting = train(StageStatus.AWAITING_APPROVAL)
    assert kinds_for(cause("train.cut"), None) == ("train.scheduled",)
    assert kinds_for(cause("train.verify", verdict="pass"), waiting) == ("approval.requested",)
    no_quorum = train(StageStatus.AWAITING_APPROVAL, quorum=0)
    assert kinds_for(cause("train.verify", verdict="pass"), no_quorum) == ()
    verifying = train(StageStatus.VERIFYING)
    assert kinds_for(cause("train.verify", verdict="inconclusive"), verifying) == ()
    assert kinds_for(cause("train.verify", verdict="fail"), verifying) == ("gate.failed",)
    assert kinds_for(cause("train.auto_rollback", verdict="fail"), verifying) == ("gate.failed",)
    promoting = train(StageStatus.PROMOTING)
    assert kinds_for(cause("promote", effects=["cluster.promote"]), promoting) == ()
    done = train(StageStatus.PROMOTED, released=True)
    assert kinds_for(cause("train.promoted"), done) == ("train.promoted", "train.released")
    assert kinds_for(cause("promote", effects=[]), train(StageStatus.PROMOTED)) == (
        "train.promoted",
    )
    assert kinds_for(cause("train.rolled_back"), done) == ("train.rolled_back",)
    assert kinds_for(cause("approve"), waiting) == ()
    assert kinds_for(cause("approval.requested", reminder=2), waiting) == ("approval.requested",)
    assert kinds_for(cause("governance.drift", repos=["a/b"]), None) == ("drift.detected",)

"""With the job runner (`trainmaster worker`/`serve`), a `notify.deliver` job exists exactly
while the outbox has something due, and running it delivers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from tests.notify.receiver import Receiver
from trainmaster.config import Policy
from trainmaster.jobs.wiring import planner_for, runner_for
from trainmaster.notify.outbox import SENT, enqueue, listing
from trainmaster.notify.routing import message_id
from trainmaster.notify.samples import sample_events
from trainmaster.store import Store


def test_the_worker_delivers_the_outbox(
    store: Store, notify_policy: tuple[Policy, Path], hook: Receiver, secret: str
) -> None:
    policy, path = notify_policy
    now = datetime.now(UTC)
    plan = planner_for(policy, store)
    assert [s for s in plan(now) if s.kind == "notify.deliver"] == []  # idle: no job rows
    event = sample_events(policy, now)[0]
    with store.transaction() as session:
        enqueue(session, message_id(event["id"], "ops-hook"), "ops-hook", event, 1, now)
    [spec] = [s for s in plan(now) if s.kind == "notify.deliver"]
    assert spec.key.startswith("notify.deliver@") and spec.run_at >= now - timedelta(seconds=1)
    ran = runner_for(policy, store, path.parent, path.parent).run_due()
    assert "notify.deliver" in [j.kind for j in ran]
    [request] = hook.received
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "train.scheduled"
    with store.transaction() as session:
        assert [m.status for m in listing(session)] == [SENT]
    assert [s for s in plan(datetime.now(UTC)) if s.kind == "notify.deliver"] == []

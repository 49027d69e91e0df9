"""Delivery against a real local receiver: retries with backoff and Retry-After, the same
webhook-id on every attempt, timeouts, unreachable targets, permanent refusals, dead letters."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from tests.notify.conftest import policy_with, webhook_targets
from tests.notify.receiver import Answer, Receiver
from trainmaster.config import Policy, parse_policy
from trainmaster.notify.deliver import Deliverer
from trainmaster.notify.outbox import DEAD, PENDING, SENT, enqueue, listing
from trainmaster.notify.routing import message_id
from trainmaster.notify.samples import sample_events
from trainmaster.store import Store

T0 = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def one_message(store: Store, policy: Policy) -> str:
    event = sample_events(policy, T0)[2]  # train.promoted
    mid = message_id(event["id"], "ops-hook")
    with store.transaction() as session:
        enqueue(session, mid, "ops-hook", event, 1, T0)
    return mid


def state_of(store: Store, mid: str) -> tuple[str, int, datetime, str]:
    with store.transaction() as session:
        m = next(m for m in listing(session) if m.id == mid)
    return m.status, m.attempts, m.next_attempt_at, m.last_error


def setup(store: Store, tmp_path: Path, url: str) -> tuple[Deliverer, Clock, str]:
    path = tmp_path / "trainmaster.yaml"
    path.write_text(policy_with(webhook_targets(url)))
    policy = parse_policy(path.read_text(), str(path))
    clock = Clock()
    deliverer = Deliverer(policy, path, store, jitter=lambda: 0.0, now=clock)
    return deliverer, clock, one_message(store, policy)


def test_a_500_is_retried_with_backoff_and_the_same_webhook_id(
    store: Store, tmp_path: Path, hook: Receiver, secret: str
) -> None:
    deliverer, clock, mid = setup(store, tmp_path, hook.url)
    hook.answers = [Answer(500), Answer(503)]
    assert deliverer.run().retrying == [mid]
    status, attempts, next_at, error = state_of(store, mid)
    assert (status, attempts, error) == (PENDING, 1, "HTTP 500")
    assert next_at == T0 + timedelta(seconds=1)  # 2 s ceiling, jitter 0: half of it
    assert deliverer.run().sent == []  # not due yet: nothing is sent early
    clock.now = next_at
    assert deliverer.run().retrying == [mid]
    assert state_of(store, mid)[2] == next_at + timedelta(seconds=2)  # the ceiling doubled
    clock.now += timedelta(seconds=2)
    assert deliverer.run().sent == [mid]
    assert state_of(store, mid)[:2] == (SENT, 3)
    ids = {r.headers["webhook-id"] for r in hook.received}
    assert ids == {mid} and len(hook.received) == 3
    for r in hook.received:  # each attempt is signed afresh, and verifies
        assert Webhook(secret).verify(r.body, r.headers)["type"] == "train.promoted"


def test_a_429_waits_as_long_as_retry_after_asks(
    store: Store, tmp_path: Path, hook: Receiver, secret: str
) -> None:
    deliverer, _clock, mid = setup(store, tmp_path, hook.url)
    hook.answers = [Answer(429, {"Retry-After": "120"})]
    deliverer.run()
    status, _, next_at, error = state_of(store, mid)
    assert (status, error) == (PENDING, "HTTP 429")
    assert next_at == T0 + timedelta(seconds=120)


def test_a_slow_receiver_times_out_and_is_retried(
    store: Store, tmp_path: Path, hook: Receiver, secret: str
) -> None:
    deliverer, _clock, mid = setup(store, tmp_path, hook.url)
    hook.answers = [Answer(200, delay=3.0)]  # the target's timeout is 1s
    assert deliverer.run().retrying == [mid]
    assert state_of(store, mid)[3] == "no answer within 1s"


def test_an_unreachable_target_is_retried_then_dead_lettered(
    store: Store, tmp_path: Path, secret: str
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    deliverer, clock, mid = setup(store, tmp_path, f"http://127.0.0.1:{port}/hook")
    for _ in range(2):
        assert deliverer.run().retrying == [mid]
        clock.now = state_of(store, mid)[2]
    assert deliverer.run().dead == [mid]  # max_attempts: 3
    status, attempts, _, error = state_of(store, mid)
    assert (status, attempts) == (DEAD, 3)
    assert error.startswith("cannot reach the target")


def test_a_4xx_is_permanent_and_dead_letters_at_once(
    store: Store, tmp_path: Path, hook: Receiver, secret: str
) -> None:
    deliverer, _clock, mid = setup(store, tmp_path, hook.url)
    hook.answers = [Answer(410)]
    assert deliverer.run().dead == [mid]
    assert state_of(store, mid)[0] == DEAD and len(hook.received) == 1


def test_a_missing_secret_keeps_the_message_and_reports_a_policy_error(
    store: Store, tmp_path: Path, hook: Receiver
) -> None:
    deliverer, _clock, mid = setup(store, tmp_path, hook.url)
    report = deliverer.run()
    assert hook.received == [] and report.retrying == [mid]
    [problem] = report.problems
    assert problem.message.endswith(
        "notify.targets.0.secret_env: environment variable OPS_HOOK_SECRET is not set"
    )
    assert problem.message.startswith(f"{tmp_path / 'trainmaster.yaml'}:")


def test_a_claimed_message_is_not_sent_twice_at_once(
    store: Store, tmp_path: Path, hook: Receiver, secret: str
) -> None:
    from trainmaster.notify.outbox import claim, due

    deliverer, _clock, _mid = setup(store, tmp_path, hook.url)
    with store.transaction() as session:
        [message] = due(session, T0)
        assert claim(session, message, timedelta(minutes=1), T0)
    assert deliverer.run().sent == [] and hook.received == []  # leased to someone else


def test_a_bounded_run_cuts_a_slow_attempt_short_and_keeps_the_message(
    store: Store, tmp_path: Path, hook: Receiver, secret: str
) -> None:
    deliverer, _clock, mid = setup(store, tmp_path, hook.url)
    hook.answers = [Answer(200, delay=3.0)]
    report = deliverer.run(within=0.3)  # after a command: its budget, not the 1s timeout
    assert report.retrying == [mid]
    error = state_of(store, mid)[3]
    assert error.startswith("no answer within 0.") and error.endswith("s"), error


def test_a_message_for_a_target_no_longer_in_the_policy_is_a_dead_letter(
    store: Store, tmp_path: Path, hook: Receiver, secret: str
) -> None:
    deliverer, _clock, mid = setup(store, tmp_path, hook.url)
    deliverer.targets.clear()  # as if the policy dropped the target after the event
    assert deliverer.run().dead == [mid]
    assert state_of(store, mid)[3] == "target no longer in the policy" and hook.received == []

"""A post-promotion watch on a real Prometheus, run on its own (no train), rolls back: the
rollback is told once, with the criterion that tripped, its value and threshold, and the digest
now serving."""

from __future__ import annotations

from pathlib import Path

import jsonschema

from tests.gates.conftest import MIN, T0, golden_prometheus  # noqa: F401 - the fixture
from tests.gates.test_watch import NEW, OLD, Clock, FakeCluster, run
from tests.notify.conftest import policy_with, webhook_targets
from tests.notify.test_standalone_rollback import SCHEMA
from trainmaster.config import parse_policy
from trainmaster.notify.hook import install
from trainmaster.notify.outbox import listing
from trainmaster.store import Store


def test_a_watch_rollback_is_told_with_criterion_value_threshold_and_what_serves(
    golden_prometheus: str,  # noqa: F811
    store: Store,
    tmp_path: Path,
) -> None:
    policy = parse_policy(policy_with(webhook_targets("https://hooks.example.com/x")))
    remove = install(policy, tmp_path)
    try:
        cluster, clock = FakeCluster(), Clock(T0 - 15 * MIN)
        outcome = run(policy, golden_prometheus, store, cluster, clock, "errors5")
    finally:
        remove()
    assert outcome.status == "rolled_back"
    with store.transaction() as session:
        [message] = listing(session)
    event = message.event
    jsonschema.validate(event, SCHEMA)
    told = event["data"]["rollback"]
    assert told["criterion"] in ("error-rate", "burn-rate")
    assert isinstance(told["value"], float) and told["value"] > told["threshold"]
    assert (told["from_digest"], told["serving_digest"]) == (NEW, OLD)
    assert event["data"]["stage"] == "prod" and "train" not in event["data"]

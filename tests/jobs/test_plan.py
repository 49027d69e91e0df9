"""The planner: which jobs ought to exist for a policy, its trains and the clock (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from trainmaster.config import Policy, parse_policy
from trainmaster.config.automation import Automation
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import PolicyError
from trainmaster.jobs.plan import StageSnapshot, TrainSnapshot, wanted

THU = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)  # the seed cadence: Thursdays 18:00 UTC
DIGEST = "ghcr.io/acme/maestro@sha256:" + "ab" * 32


def policy(**automation: object) -> Policy:
    seed = parse_policy(seed_policy_text("acme", "maestro"))
    return seed.model_copy(update={"automation": Automation(**automation)})  # type: ignore[arg-type]


def keys(p: Policy, now: datetime, trains: list[TrainSnapshot] | None = None) -> list[str]:
    return [spec.key for spec in wanted(p, trains or [], now)]


def train(
    status: str = "open", at: datetime = THU, digest: str | None = DIGEST,
    **stages: tuple[str, int, datetime],
) -> TrainSnapshot:  # fmt: skip
    views = tuple(StageSnapshot(n, s, a, since) for n, (s, a, since) in stages.items())
    return TrainSnapshot("v1.4.0", status, at, views, digest)


def test_nothing_is_automatic_by_default() -> None:
    promoted = train(prod=("promoted", 1, THU))
    assert wanted(policy(), [promoted], THU) == []


def test_the_next_cut_is_planned_at_its_instant() -> None:
    specs = wanted(policy(cut=True), [], THU - timedelta(hours=1))
    assert [(s.kind, s.key, s.run_at) for s in specs] == [
        ("train.cut", "train.cut@2026-12-03T18:00:00Z", THU)
    ]


def test_a_cut_missed_by_a_restart_is_still_planned_and_the_next_one_too() -> None:
    assert keys(policy(cut=True), THU + timedelta(minutes=59)) == [
        "train.cut@2026-12-03T18:00:00Z",
        "train.cut@2026-12-10T18:00:00Z",
    ]
    assert keys(policy(cut=True), THU + timedelta(minutes=61)) == ["train.cut@2026-12-10T18:00:00Z"]


def test_frozen_and_skipped_firings_are_not_planned() -> None:
    # the seed freezes from Dec 20 for 14 days: Dec 24 and Dec 31 are frozen, Jan 7 cuts
    assert keys(policy(cut=True), datetime(2026, 12, 18, 19, tzinfo=UTC)) == [
        "train.cut@2027-01-07T18:00:00Z"
    ]
    seed = policy(cut=True)
    skipping = seed.model_copy(
        update={"train": seed.train.model_copy(update={"skip": [THU.date()]})}
    )
    assert keys(skipping, THU - timedelta(hours=1)) == ["train.cut@2026-12-10T18:00:00Z"]


def test_a_promoted_stage_with_a_watch_gets_one_watch_per_attempt_while_it_can_matter() -> None:
    p = policy(watch=True)
    promoted = train(stage=("promoted", 1, THU), prod=("promoted", 2, THU))
    specs = wanted(p, [promoted], THU + timedelta(minutes=5))
    assert [(s.kind, s.key, s.payload) for s in specs] == [
        ("gate.watch", "gate.watch@v1.4.0/prod/2", {"train": "v1.4.0", "stage": "prod"})
    ]  # stage has no watch in the seed
    assert keys(p, THU + timedelta(minutes=31), [promoted]) == []  # its 30 min are over
    verifying = train(prod=("verifying", 2, THU))
    assert keys(p, THU + timedelta(minutes=5), [verifying]) == []


def test_approval_reminders_come_every_interval_while_a_stage_waits() -> None:
    p = policy(remind_approvals=timedelta(hours=4))
    waiting = train(prod=("awaiting_approval", 1, THU))
    specs = wanted(p, [waiting], THU + timedelta(hours=5))
    assert [(s.key, s.run_at) for s in specs] == [
        ("approval.remind@v1.4.0/prod/1/2", THU + timedelta(hours=8))
    ]
    assert (
        keys(p, THU + timedelta(hours=5), [train("released", prod=("awaiting_approval", 1, THU))])
        == []
    )


def test_evidence_is_built_once_the_train_ended_and_its_watch_could_not_roll_it_back() -> None:
    p = policy(evidence=True)
    specs = wanted(p, [train("released", prod=("promoted", 1, THU))], THU)
    assert [(s.key, s.run_at) for s in specs] == [
        ("evidence.build@v1.4.0", THU + timedelta(minutes=30))
    ]
    assert keys(p, THU, [train("open")]) == []


def test_old_trains_plan_nothing() -> None:
    p = policy(evidence=True, watch=True)
    old = train("released", at=THU - timedelta(days=2), prod=("promoted", 1, THU))
    assert keys(p, THU, [old]) == []


def test_sweeps_fall_on_interval_boundaries_and_drift_at_the_local_time() -> None:
    p = policy(preview_sweep=timedelta(minutes=15), drift_at=time(3, 0))
    specs = wanted(p, [], THU + timedelta(minutes=7))
    assert [(s.kind, s.key, s.run_at) for s in specs] == [
        ("preview.sweep", "preview.sweep@2026-12-03T18:15:00Z", THU + timedelta(minutes=15)),
        ("governance.drift", "governance.drift@2026-12-04", datetime(2026, 12, 4, 3, tzinfo=UTC)),
    ]


def test_deploy_after_cut_plans_the_first_listed_stage_once_the_artifact_is_recorded() -> None:
    p = policy(deploy_after_cut=["stage"])
    key = "train.stage@v1.4.0@abababababab"
    assert keys(p, THU, [train("open")]) == [key]
    assert keys(p, THU, [train("open", stage=("pending", 1, THU))]) == [key]
    assert keys(p, THU, [train("open", stage=("verifying", 1, THU))]) == []
    assert keys(p, THU, [train("open", digest=None)]) == []
    assert keys(p, THU, [train("released")]) == []


def test_deploy_after_cut_must_name_stages() -> None:
    text = seed_policy_text("acme", "maestro") + "automation:\n  deploy_after_cut: [stagin]\n"
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "trainmaster.yaml")
    assert "automation.deploy_after_cut.0" in caught.value.message
    assert "did you mean 'stage'" in caught.value.message

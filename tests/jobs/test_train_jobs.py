"""The train's jobs through the runner, on both stores: the cut at its instant with no command
typed, deploy and verify after it, reminders while approvals are missing; each step once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.train.conftest import COMMITS, Rig
from tests.train.fakes import make_repo
from trainmaster.audit import AuditLog
from trainmaster.config import Policy, parse_policy
from trainmaster.config.automation import Automation
from trainmaster.config.seed import seed_policy_text
from trainmaster.jobs.handlers import Work, handlers
from trainmaster.jobs.model import JobStatus
from trainmaster.jobs.runner import Runner
from trainmaster.jobs.wiring import planner_for
from trainmaster.store import Store
from trainmaster.store.jobs import get, listing
from trainmaster.wiring import App

BOT = "trainmaster[bot]"


def automated(**settings: object) -> Policy:
    text = seed_policy_text("acme", "maestro").replace("  forge: github", "  forge: none")
    seed = parse_policy(text)
    return seed.model_copy(update={"automation": Automation(**settings)})  # type: ignore[arg-type]


def backends_of(rig: Rig, tmp_path: Path, **ports: Any) -> Callable[[], App]:
    """The rig's ports behind the composition root (its Rego authorizer is the real one)."""
    return lambda: App(rig.policy, tmp_path, repo_path=rig.repo, clock=rig.clock,
                       store=rig.store, cluster=rig.cluster, verifier=rig.verifier, **ports)  # fmt: skip


def runner_for(rig: Rig, tmp_path: Path) -> Runner:
    work = Work(backends_of(rig, tmp_path))
    return Runner(rig.store, handlers(work), planner=planner_for(rig.policy, rig.store),
                  clock=rig.clock, plan_every=0)  # fmt: skip


@pytest.fixture
def rig(store: Store, tmp_path: Path) -> Rig:
    policy = automated(cut=True, deploy_after_cut=["stage"], remind_approvals=timedelta(hours=4))
    made = Rig(policy, store, make_repo(tmp_path / "repo", COMMITS))
    made.clock.at = made.clock.at.replace(day=5)  # Thursday 2026-11-05 18:00 UTC
    return made


def audit_actions(store: Store) -> list[str]:
    return [e.action for e in AuditLog(store).events()]


def test_the_train_is_cut_at_its_instant_then_deployed_and_verified_on_stage(
    rig: Rig, tmp_path: Path
) -> None:
    runner = runner_for(rig, tmp_path)
    rig.clock.advance(minutes=-1)
    assert runner.run_due() == []  # 17:59: planned, not due
    with rig.store.transaction() as s:
        assert [(j.key, j.status) for j in listing(s)] == [
            ("train.cut@2026-11-05T18:00:00Z", JobStatus.SCHEDULED)
        ]
    rig.clock.advance(minutes=1)
    assert [j.kind for j in runner.run_due()] == ["train.cut"]
    rig.service(actor="ci").record_artifact("v1.1.0", "sha256:" + "a" * 64)  # CI built it
    assert [j.kind for j in runner.run_due()] == ["train.stage"]
    state = rig.service().state("v1.1.0")
    assert state.author == BOT
    assert state.stage("stage").status.value == "awaiting_approval"
    assert [c[0] for c in rig.cluster.calls] == ["deploy"]
    actions = audit_actions(rig.store)
    assert actions.count("train.cut") == 1 and actions.count("train.deployed") == 1


def cut_and_stage(rig: Rig, runner: Runner) -> None:
    runner.run_due()
    rig.service(actor="ci").record_artifact("v1.1.0", "sha256:" + "a" * 64)
    runner.run_due()


def test_running_the_planner_and_the_jobs_again_changes_nothing(rig: Rig, tmp_path: Path) -> None:
    runner = runner_for(rig, tmp_path)
    cut_and_stage(rig, runner)
    before = audit_actions(rig.store)
    second = runner_for(rig, tmp_path)  # another replica, same store
    assert second.run_due() == []
    assert audit_actions(rig.store) == before
    with rig.store.transaction() as s:
        assert sorted(j.kind for j in listing(s) if j.status is JobStatus.SUCCEEDED) == [
            "train.cut", "train.stage"
        ]  # fmt: skip


def test_a_cut_job_run_twice_cuts_once(rig: Rig, tmp_path: Path) -> None:
    runner = runner_for(rig, tmp_path)
    runner.run_due()
    from trainmaster.jobs.runner import JobContext

    with rig.store.transaction() as s:
        cut_job = next(j for j in listing(s) if j.kind == "train.cut")
    again = runner.handlers["train.cut"](JobContext(cut_job, lambda spec: False))
    assert again is not None and "skipped" in again
    assert audit_actions(rig.store).count("train.cut") == 1


def test_approvers_are_reminded_while_the_stage_waits(rig: Rig, tmp_path: Path) -> None:
    runner = runner_for(rig, tmp_path)
    cut_and_stage(rig, runner)
    rig.clock.advance(hours=4, seconds=1)
    assert [j.kind for j in runner.run_due()] == ["approval.remind"]
    assert audit_actions(rig.store).count("approval.requested") == 1
    rig.clock.advance(minutes=1)
    assert runner.run_due() == []  # the next one is due 4 h after the first


def test_a_cut_refused_by_the_policy_is_dead_and_says_why(store: Store, tmp_path: Path) -> None:
    policy = automated(cut=True)
    seed_roles = dict(policy.roles)
    captain = seed_roles["release-captain"].model_copy(update={"members": ["alice"]})
    policy = policy.model_copy(update={"roles": {**seed_roles, "release-captain": captain}})
    rig = Rig(policy, store, make_repo(tmp_path / "repo", COMMITS))
    rig.clock.at = rig.clock.at.replace(day=5)
    runner_for(rig, tmp_path).run_due()
    with store.transaction() as s:
        job = get(s, "train.cut@2026-11-05T18:00:00Z")
    assert job is not None and job.status is JobStatus.DEAD
    assert "not a member of a role that may train.cut" in job.last_error
    assert "authz.refused" in audit_actions(store) and "train.cut" not in audit_actions(store)

"""A scripted week run by job runners that are killed at random points: the cut at its instant,
deploy and verify on stage after CI's artifact, people approving and promoting, the prod watch as
a job. However the replicas die, every step happens exactly once, the audit chain verifies and
no job is left running without an owner (on both stores).

A kill is `Crash` (a BaseException, as in tests/train/test_kill_points.py) raised before a
handler, inside the train's transitions (its checkpoints), inside the cluster right after a
call, in the middle of the watch, or after a handler finished but before its outcome was
recorded. The killed runner is dropped; the next one (another owner) takes the job over once
the lease has run out, as a second replica would."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.gates.conftest import T0
from tests.train.conftest import COMMITS, Rig
from tests.train.fakes import DIGEST_A, DIGEST_OLD, Crash, make_repo
from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.audit import AuditLog
from trainmaster.config import Policy, parse_policy
from trainmaster.config.automation import Automation
from trainmaster.config.seed import seed_policy_text
from trainmaster.jobs.handlers import Work, handlers
from trainmaster.jobs.model import JobStatus
from trainmaster.jobs.runner import Handler, JobContext, Runner
from trainmaster.jobs.wiring import planner_for
from trainmaster.rollout.backends import target_for
from trainmaster.store import Store
from trainmaster.store.jobs import listing
from trainmaster.wiring import App

BOT = "trainmaster[bot]"
LEASE = 20.0
KILLS = 50  # per store: 10 weeks, 5 kills each
WEEKS = int(__import__("os").environ.get("TM_WEEKS", "10"))
PROMOTED_AT = datetime.fromtimestamp(T0, UTC) - timedelta(minutes=5)  # a Sunday, 15:05 UTC
CUT_AT = datetime(2025, 6, 12, 18, 0, tzinfo=UTC)  # the Thursday before


def week_policy(service: str) -> Policy:
    text = seed_policy_text("acme", "maestro").replace(
        "service: maestro\n", f"service: {service}\n"
    )
    seed = parse_policy(text.replace("  forge: github", "  forge: none"))
    prod = seed.stages["prod"]
    watch = prod.watch.model_copy(update={"duration": timedelta(minutes=5)})  # type: ignore[union-attr]
    stages = {**seed.stages, "prod": prod.model_copy(update={"watch": watch, "service": service})}
    automation = Automation(cut=True, deploy_after_cut=["stage"], watch=True)
    return seed.model_copy(update={"automation": automation, "stages": stages})


class Kills:
    """Decides where the next kill happens; counts the kills that happened."""

    def __init__(self, rng: random.Random, budget: int) -> None:
        self.rng, self.budget, self.happened = rng, budget, 0

    def roll(self, where: str, chance: float = 0.4) -> None:
        if self.happened < self.budget and self.rng.random() < chance:
            self.happened += 1
            raise Crash(where)


def crashing(handler: Handler, kills: Kills) -> Handler:
    def run(ctx: JobContext) -> Mapping[str, Any] | None:
        kills.roll(f"before {ctx.job.kind}")
        result = handler(ctx)
        kills.roll(f"after {ctx.job.kind}, before its outcome was recorded")
        return result

    return run


class Week:
    def __init__(self, rig: Rig, prometheus: str, kills: Kills) -> None:
        self.rig, self.prometheus, self.kills = rig, prometheus, kills
        self.replicas = 0
        self.armed = False

    def backends(self) -> App:
        rig = self.rig
        return App(rig.policy, rig.repo, repo_path=rig.repo, clock=rig.clock, store=rig.store,
                   cluster=rig.cluster, verifier=rig.verifier,
                   metrics=PrometheusMetrics(self.prometheus))  # fmt: skip

    def runner(self) -> Runner:
        self.replicas += 1
        self.armed = self.kills.happened < self.kills.budget and self.kills.rng.random() < 0.2
        if self.armed:  # killed inside the cluster, right after its next change
            self.rig.cluster.crash_after_call = len(self.rig.cluster.calls) + 1
        wired = {k: crashing(h, self.kills) for k, h in handlers(Work(self.backends)).items()}
        return Runner(self.rig.store, wired, owner=f"replica-{self.replicas}", lease=LEASE,
                      planner=planner_for(self.rig.policy, self.rig.store), plan_every=0,
                      clock=self.rig.clock)  # fmt: skip

    def run_jobs(self) -> None:
        """Run what is due; after each kill, wait out the lease and start another replica."""
        for _ in range(100):
            try:
                self.runner().run_due()
                self.rig.cluster.crash_after_call = None
                return
            except Crash:
                if self.armed and self.rig.cluster.crash_after_call is None:
                    self.kills.happened += 1  # the cluster's own kill fired
                self.rig.cluster.crash_after_call = None
                self.rig.clock.advance(seconds=LEASE + 1)
        raise AssertionError("the jobs never finished")

    def at(self, moment: datetime) -> None:
        self.rig.clock.at = max(self.rig.clock.at, moment)  # a kill's lease wait moved it on
        self.run_jobs()

    def people(self, action: Callable[[Any], object], actor: str) -> None:
        action(self.rig.service(actor=actor))
        self.run_jobs()


def play(week: Week) -> None:
    rig = week.rig
    week.at(CUT_AT - timedelta(minutes=1))
    week.at(CUT_AT)
    train = "v1.1.0"
    week.at(CUT_AT + timedelta(minutes=20))
    week.people(lambda s: s.record_artifact(train, DIGEST_A), "ci")
    week.at(CUT_AT + timedelta(hours=1))
    week.people(lambda s: s.approve(train, "stage", "alice", "stage looks good"), "alice")
    week.people(lambda s: s.promote(train, "stage", "carol", "ship to stage"), "carol")
    week.at(PROMOTED_AT - timedelta(hours=2))
    week.people(lambda s: s.deploy(train, "prod"), "carol")
    week.people(lambda s: s.verify(train, "prod"), "carol")
    for person in ("alice", "bob"):
        week.people(lambda s, p=person: s.approve(train, "prod", p, "prod verified"), person)
    rig.clock.at = PROMOTED_AT
    week.people(lambda s: s.promote(train, "prod", "carol", "release v1.1.0"), "carol")
    for tick in range(1, 25):  # the watch's 5 minutes (and kills' lease waits), every 30 s
        week.at(PROMOTED_AT + timedelta(seconds=30 * tick))


def rig_for(store: Store, tmp_path: Path, service: str) -> Rig:
    rig = Rig(week_policy(service), store, make_repo(tmp_path / "repo", COMMITS, tag="v1.0.0"))
    rig.clock.at = CUT_AT - timedelta(minutes=1)
    # v1.0.0 serves prod before the week: the known good a rollback goes back to (issue 13)
    rig.cluster.pin(target_for(rig.policy, "prod"), DIGEST_OLD)
    rig.cluster.calls.clear()
    return rig


def cluster_calls(rig: Rig) -> list[tuple[str, str]]:
    return [(verb, stage) for verb, stage, _ in rig.cluster.calls]


def check_each_step_once(rig: Rig) -> list[str]:
    log = AuditLog(rig.store)
    assert log.verify() is None
    actions = [e.action for e in log.events()]
    with rig.store.transaction() as s:
        jobs = listing(s, limit=1000)
    assert not [j.key for j in jobs if j.status is JobStatus.RUNNING]
    due = [j for j in jobs if j.run_at <= rig.clock()]
    assert due
    assert all(j.status is JobStatus.SUCCEEDED for j in due)
    assert len(jobs) == len({j.key for j in jobs}) >= 3
    for once in ("train.cut", "gate.watch.start"):
        assert actions.count(once) == 1, (once, actions)
    return actions


@pytest.fixture
def new_store(store_url: str, tmp_path: Path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A fresh store of the test's kind for each week (trains and tags start over)."""
    import uuid

    from tests.servers import create_database
    from trainmaster.store import open_store

    opened: list[Store] = []

    def make() -> Store:
        if store_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / f'week{len(opened)}.db'}"
        else:
            admin = request.getfixturevalue("postgres_admin_url")
            url = create_database(admin, f"week_{uuid.uuid4().hex[:12]}")
        opened.append(open_store(url, tmp_path, upgrade=True))
        return opened[-1]

    yield make
    for store in opened:
        store.dispose()


@pytest.mark.slow
def test_a_healthy_week_survives_every_kill(
    new_store, tmp_path: Path, golden_prometheus: str
) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(19)
    killed = 0
    for week_no in range(WEEKS):
        rig = rig_for(new_store(), tmp_path / f"w{week_no}", "healthy")
        week = Week(rig, golden_prometheus, Kills(rng, KILLS // WEEKS))
        play(week)
        killed += week.kills.happened
        assert cluster_calls(rig) == [
            ("deploy", "stage"), ("promote", "stage"), ("deploy", "prod"), ("promote", "prod")
        ]  # fmt: skip
        actions = check_each_step_once(rig)
        assert actions.count("gate.watch.passed") == 1 and "rollback" not in actions
    assert killed >= KILLS * 0.9  # the kills really happened, at random points


@pytest.mark.slow
def test_a_bad_release_is_rolled_back_once_whoever_dies(
    new_store, tmp_path: Path, golden_prometheus: str
) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    rig = rig_for(new_store(), tmp_path, "errors5")
    week = Week(rig, golden_prometheus, Kills(rng, 8))
    play(week)
    assert cluster_calls(rig)[-1] == ("pin", "prod")  # back to the known good, by history
    assert cluster_calls(rig).count(("pin", "prod")) == 1
    assert rig.cluster.states["prod"].stable == DIGEST_OLD
    actions = check_each_step_once(rig)
    assert actions.count("train.rolled_back") == 1
    assert rig.service().state("v1.1.0").status.value == "rolled_back"

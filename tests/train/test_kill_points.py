"""Crash safety: kills at random points of promote and rollback lose and repeat nothing.

A simulated kill raises `Crash` (a BaseException) at a chosen checkpoint — inside the intent's
transaction, after it, before and after the cluster call, inside the completion's transaction —
or inside the cluster right after it changed. A fresh service then resumes, as the next process
would, and re-runs the command only if the state shows it never happened. One more test kills a
real subprocess with SIGKILL.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.train.conftest import Rig
from tests.train.fakes import DIGEST_A, DIGEST_OLD, Crash, FileCluster
from trainmaster.audit import AuditLog

KILLS_PER_STORE = int(os.environ.get("TM_KILLS", "200"))  # promote and rollback, 100 rounds each
POINTS = [
    "intent-commit",
    "after-intent",
    "before-cluster",
    "after-cluster",
    "commit-cluster",
    "done-cluster",
]


class Killer:
    """Raises Crash at the `at`-th checkpoint hit (at == len(POINTS) + 1: inside the cluster)."""

    def __init__(self, at: int) -> None:
        self.at, self.hits = at, 0

    def __call__(self, name: str) -> None:
        self.hits += 1
        if self.hits == self.at:
            raise Crash(name)


def prepared(rig: Rig) -> str:
    rig.cluster.pin(rig.service().ports.target("prod"), DIGEST_OLD)
    train = rig.service().cut().train_id
    captain = rig.service()
    captain.record_artifact(train, DIGEST_A)
    captain.deploy(train, "stage")
    captain.verify(train, "stage")
    rig.service("alice").approve(train, "stage", "alice", "ok")
    rig.service("bob").promote(train, "stage", "bob", "ok")
    return train


def crash_once(rig: Rig, at: int, action) -> bool:  # type: ignore[no-untyped-def]
    """Run `action(service)` with a kill at point `at`; True if it was killed."""
    inside_cluster = at > len(POINTS)
    if inside_cluster:
        rig.cluster.crash_after_call = len(rig.cluster.calls) + 1
    service = rig.service("bob", checkpoint=Killer(0 if inside_cluster else at))
    try:
        action(service)
    except Crash:
        return True
    finally:
        rig.cluster.crash_after_call = None
    return False


def killed(rig: Rig, rng: random.Random, action) -> int:  # type: ignore[no-untyped-def]
    """Kill `action` at a random point, then kill the first resume at a random point too (a
    crash during recovery); return how many kills really happened."""
    kills = int(crash_once(rig, rng.randint(1, len(POINTS) + 1), action))
    return kills + crash_once(rig, rng.randint(1, 5), lambda s: s.resume())


@pytest.mark.slow
def test_random_kills_during_promote_and_rollback(rig: Rig) -> None:
    rng = random.Random(9)
    train = prepared(rig)
    kills = rounds = 0
    while kills < KILLS_PER_STORE:
        rounds += 1
        captain = rig.service()
        captain.deploy(train, "prod")
        captain.verify(train, "prod")
        rig.service("alice").approve(train, "prod", "alice", f"round {rounds}")
        rig.service("carol").approve(train, "prod", "carol", f"round {rounds}")
        rig.clock.advance(minutes=10)

        calls_before = len(rig.cluster.calls)
        kills += killed(rig, rng, lambda s: s.promote(train, "prod", "bob", "go"))
        recovered = rig.service("bob").promote(train, "prod", "bob", "go")  # the re-run resumes
        assert recovered.state.stage("prod").status.value == "promoted"
        assert rig.cluster.calls[calls_before:] == [("promote", "prod", DIGEST_A)], rounds
        assert rig.cluster.states["prod"].stable == DIGEST_A

        calls_before = len(rig.cluster.calls)
        kills += killed(rig, rng, lambda s: s.rollback("prod", "dave", "drill", train_id=train))
        rig.service().resume()
        if rig.service().state(train).stage("prod").status.value != "rolled_back":
            rig.service("dave").rollback("prod", "dave", "drill", train_id=train)
        assert rig.cluster.calls[calls_before:] == [("pin", "prod", DIGEST_OLD)], rounds
    status = rig.service().status(train)
    assert (status["pending_effects"], status["stages"][1]["status"]) == ([], "rolled_back")
    assert AuditLog(rig.store).verify() is None
    effects = [e for e in AuditLog(rig.store).events() if e.action.startswith("effect.cluster")]
    assert len([e for e in effects if e.action == "effect.cluster.promote"]) == rounds + 1
    assert len([e for e in effects if e.action == "effect.cluster.pin"]) == rounds
    assert len({json.loads(e.payload)["key"] for e in effects}) == len(effects)  # once per key


SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tests.train.test_kill_points import sigkill_service
    service = sigkill_service(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], "bob")
    service.promote(sys.argv[5], "prod", "bob", "ship it")
    """
)


def sigkill_service(store_url: str, repo: Path, state_file: Path, kill_at: str, actor: str):  # type: ignore[no-untyped-def]
    from tests.train.fakes import Clock, FakeVerifier
    from trainmaster.config import parse_policy
    from trainmaster.config.seed import seed_policy_text
    from trainmaster.store import open_store
    from trainmaster.train.rules import train_path
    from trainmaster.train.service import TrainService

    policy = parse_policy(
        seed_policy_text("acme", "maestro").replace("forge: github", "forge: none")
    )

    def checkpoint(name: str) -> None:
        if name == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    clock = Clock()
    clock.advance(minutes=10)  # past prod's wait timer
    return TrainService(
        policy,
        open_store(store_url, repo, upgrade=True),
        repo,
        cluster=FileCluster(state_file),
        verifier=FakeVerifier({n: list(policy.stages[n].gates) for n in train_path(policy)}),
        clock=clock,
        actor=actor,
        checkpoint=checkpoint,
    )


@pytest.mark.slow
def test_a_real_sigkill_between_the_cluster_call_and_its_completion(
    rig: Rig, store_url: str, tmp_path: Path
) -> None:
    state_file = tmp_path / "cluster.json"
    rig.cluster = FileCluster(state_file)
    rig.policy = rig.policy.model_copy(
        update={"backends": rig.policy.backends.model_copy(update={"forge": "none"})}
    )
    train = prepared(rig)
    captain = rig.service()
    captain.deploy(train, "prod")
    captain.verify(train, "prod")
    rig.service("alice").approve(train, "prod", "alice", "ok")
    rig.service("carol").approve(train, "prod", "carol", "ok")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            store_url,
            str(rig.repo),
            str(state_file),
            "after-cluster.promote",
            train,
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    killed = FileCluster(state_file)
    assert [c for c in killed.calls if c[:2] == ("promote", "prod")] == [
        ("promote", "prod", DIGEST_A)
    ]
    assert (
        rig.service().status(train)["stages"][1]["status"] == "promoting"
    )  # completion lost with the process
    rig.cluster = FileCluster(state_file)
    rig.clock.advance(minutes=10)
    applied = rig.service().resume()
    assert applied[0]["skipped"] == "already serving"  # observed, not repeated
    assert [c for c in rig.cluster.calls if c[:2] == ("promote", "prod")] == [
        ("promote", "prod", DIGEST_A)
    ]
    assert rig.service().status(train)["status"] == "released"
    assert AuditLog(rig.store).verify() is None


@pytest.mark.slow
def test_kills_at_every_point_of_a_cut(rig: Rig, tmp_path: Path) -> None:
    """Branch, tag and release draft: each made exactly once whatever point the cut dies at."""
    from tests.train.fakes import git, make_repo

    points = 2 + 4 * 3  # the intent, then before/after/commit/done of branch, tag and release
    for at in range(1, points + 1):
        rig.repo = make_repo(tmp_path / f"r{at}", ["feat: x"], tag=f"v{at}.0.0")
        calls = len(rig.forge.calls)
        with contextlib.suppress(Crash):
            rig.service(checkpoint=Killer(at)).cut()
        rig.service().resume()
        train = f"v{at}.1.0"
        if train not in git(rig.repo, "tag"):  # the intent never committed: the captain cuts again
            assert train not in [t["train"] for t in rig.service().list()]
            rig.service().cut()
        assert rig.service().status(train)["status"] == "open", at
        assert rig.forge.calls[calls:] == [f"release {train}"], at
        assert git(rig.repo, "rev-parse", f"release/{at}.1.0") == git(rig.repo, "rev-parse", "main")
    assert AuditLog(rig.store).verify() is None

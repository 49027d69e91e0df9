"""A watch's rollback through the train: the rollback use case (authorized, audited) applies
it, the cluster is only read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policy.conftest import policy_of
from tests.train.fakes import DIGEST_A, DIGEST_OLD, Clock, FakeCluster, FakeVerifier, make_repo
from trainmaster.audit import AuditLog
from trainmaster.errors import Refused
from trainmaster.rollout.port import Target
from trainmaster.store import Store
from trainmaster.train import use_cases as uc
from trainmaster.train.watching import WATCH_REASON, RollbackThroughTrain
from trainmaster.wiring import App

STAGE = Target("stage", "maestro-staging", "maestro")


def promoted_on_stage(tmp_path: Path, store: Store, captains: list[str]) -> tuple[App, FakeCluster]:
    repo = make_repo(tmp_path / "repo", ["feat: orders (#1)"])
    cluster = FakeCluster()
    cluster.pin(STAGE, DIGEST_OLD)
    policy = policy_of(captains)
    gates = FakeVerifier({"stage": list(policy.stages["stage"].gates)})
    app = App(policy, repo, store=store, cluster=cluster, verifier=gates, clock=Clock())
    uc.cut(app, uc.CutInput("ana"))
    uc.artifact(app, uc.ArtifactInput("ana", "v1.1.0", DIGEST_A))
    uc.deploy(app, uc.DeployInput("ana", "v1.1.0", "stage"))
    uc.verify(app, uc.VerifyInput("ana", "v1.1.0", "stage"))
    uc.approve(app, uc.ApproveInput("ben", "v1.1.0", "stage", "smoke is green"))
    uc.promote(app, uc.PromoteInput("cy", "v1.1.0", "stage", "stage verified"))
    return app, cluster


def test_undo_becomes_the_trains_rollback_by_the_watcher(tmp_path: Path, store: Store) -> None:
    app, cluster = promoted_on_stage(tmp_path, store, ["ana", "ben", "cy", "watch"])
    acting = RollbackThroughTrain(app, "v1.1.0", "watch")
    assert acting.status(STAGE).stable == DIGEST_A
    acting.undo(STAGE)
    assert cluster.states["stage"].stable == DIGEST_OLD
    assert uc.train_status(app, "v1.1.0")["stages"][0]["status"] == "rolled_back"
    event = next(AuditLog(store).events(action="rollback"))
    assert (event.actor, event.reason, event.target) == (
        "watch",
        WATCH_REASON,
        "train/v1.1.0/stage",
    )


def test_a_watcher_the_policy_does_not_allow_is_refused_and_nothing_moves(
    tmp_path: Path, store: Store
) -> None:
    app, cluster = promoted_on_stage(tmp_path, store, ["ana", "ben", "cy"])
    calls = list(cluster.calls)
    with pytest.raises(Refused):
        RollbackThroughTrain(app, "v1.1.0", "watch").abort(STAGE)
    assert cluster.calls == calls
    assert [e.actor for e in AuditLog(store).events(action="authz.refused")] == ["watch"]


def test_a_watch_never_deploys_promotes_or_pins(tmp_path: Path, store: Store) -> None:
    app = App(policy_of(), tmp_path, store=store, cluster=FakeCluster())
    acting = RollbackThroughTrain(app, "v1.4.0", "w")
    with pytest.raises(NotImplementedError):
        acting.promote(STAGE)
    with pytest.raises(NotImplementedError):
        acting.deploy(STAGE, "repo@sha256:" + "c" * 64)
    with pytest.raises(NotImplementedError):
        acting.pin(STAGE, "repo@sha256:" + "c" * 64)

"""Optimistic locking: two promoters at once — exactly one wins, the other gets a conflict."""

from __future__ import annotations

import threading

import pytest

from tests.train.conftest import Rig
from tests.train.fakes import DIGEST_A, DIGEST_OLD
from trainmaster.audit import AuditLog
from trainmaster.errors import ConflictError, ExitCode, TrainmasterError
from trainmaster.train.model import TrainState
from trainmaster.train.service import TrainService


def ready_for_prod(rig: Rig) -> str:
    train = rig.service().cut().train_id
    captain = rig.service()
    captain.record_artifact(train, DIGEST_A)
    for stage, approvers in (("stage", ["alice"]), ("prod", ["alice", "carol"])):
        captain.deploy(train, stage)
        captain.verify(train, stage)
        for who in approvers:
            rig.service(who).approve(train, stage, who, "fine")
        if stage == "stage":
            rig.service("bob").promote(train, "stage", "bob", "go")
    rig.clock.advance(minutes=10)
    return train


class RacingService(TrainService):
    """Reads the train, then waits until the other promoter has read it too."""

    barrier: threading.Barrier | None = None

    def _check_preview(self, train_id: str, stage: str) -> None:
        barrier, self.barrier = self.barrier, None  # race on the read that decides, not this one
        super()._check_preview(train_id, stage)
        self.barrier = barrier

    def state(self, train_id: str) -> TrainState:
        seen = super().state(train_id)
        if self.barrier is not None:
            barrier, self.barrier = self.barrier, None
            barrier.wait(timeout=30)
        return seen


def test_two_promoters_at_once_exactly_one_wins(rig: Rig) -> None:
    train = ready_for_prod(rig)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def promoter(name: str) -> None:
        service = RacingService(
            rig.policy,
            rig.store,
            rig.repo,
            forge=rig.forge,
            cluster=rig.cluster,
            verifier=rig.verifier,
            clock=rig.clock,
            actor=name,
        )
        service.barrier = barrier
        try:
            results[name] = (
                service.promote(train, "prod", name, "race").state.stage("prod").status.value
            )
        except TrainmasterError as e:
            results[name] = e

    threads = [threading.Thread(target=promoter, args=(n,)) for n in ("bob", "dave")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [n for n, r in results.items() if r == "promoted"]
    losers = [r for r in results.values() if isinstance(r, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].exit_code == ExitCode.REFUSED
    assert "changed while you were acting on it" in str(losers[0])
    assert [c for c in rig.cluster.calls if c[0] == "promote" and c[1] == "prod"] == [
        ("promote", "prod", DIGEST_A)
    ]
    promotes = [
        e for e in AuditLog(rig.store).events(action="promote") if e.target.endswith("/prod")
    ]
    assert [e.actor for e in promotes] == winners
    assert AuditLog(rig.store).verify() is None


def test_a_stale_expected_version_is_a_conflict(rig: Rig) -> None:
    train = ready_for_prod(rig)
    seen = rig.service().status(train)["row_version"]
    rig.service("erin").approve(train, "prod", "erin", "also fine")  # moves the train on
    with pytest.raises(ConflictError, match="someone else acted first"):
        rig.service("bob").promote(train, "prod", "bob", "go", expected_version=seen)
    assert rig.service().status(train)["stages"][1]["status"] == "awaiting_approval"


def test_two_approvers_at_once_both_count(rig: Rig) -> None:
    train = ready_for_prod(rig)
    # nothing served prod before: no known-good digest, so the drill names one
    rig.service("captain").rollback("prod", "captain", "start over", DIGEST_OLD, train_id=train)
    captain = rig.service()
    captain.deploy(train, "prod")
    captain.verify(train, "prod")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def approver(name: str) -> None:
        service = RacingService(rig.policy, rig.store, rig.repo, cluster=rig.cluster,
                                verifier=rig.verifier, clock=rig.clock, actor=name)  # fmt: skip
        service.barrier = barrier
        try:
            service.approve(train, "prod", name, "fine")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=approver, args=(n,)) for n in ("erin", "frank")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    approvals = rig.service().status(train)["stages"][1]["approvals"]
    live = sorted(a["approver"] for a in approvals if not a["revoked"])
    assert live == ["erin", "frank"]

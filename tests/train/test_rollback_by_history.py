"""Rollback by history end to end: trains on the Kubernetes emulator (Argo Rollouts), post-
promotion watches on a real Prometheus (one job, each release's pods under its ReplicaSet's hash:
the watch measures the serving colour only), the watch's rollback and the manual one through the
same path. The issue's story: after the watch rolled a bad release back, `rollback` must not bring the
bad digest back, a second `rollback` changes nothing, and `rollback --to` works whatever the
trains' states."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.emulators.kubernetes.controller import template_hash
from tests.emulators.kubernetes.fixtures import GOOD, NEXT, THIRD, blue_green_rollout, k8s
from tests.gates.conftest import MIN, T0, after
from tests.gates.traffic import Traffic, record
from tests.prometheus_server import Samples, prometheus_with
from tests.train.conftest import Rig
from tests.train.fakes import commit
from trainmaster.adapters.kubernetes.api import Kube
from trainmaster.adapters.kubernetes.rollouts import ArgoRolloutsCluster
from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.gates.watch import WatchOutcome, watch
from trainmaster.rollout.port import Target
from trainmaster.train.watching import RollbackThroughTrain
from trainmaster.wiring import App

__all__ = ["k8s"]
PROD = Target("prod", "maestro", "maestro")
FOURTH = "ghcr.io/acme/maestro@sha256:" + "d" * 64


def pod_hash(image: str) -> str:
    """The emulator's ReplicaSet hash for the rollout running `image`."""
    return template_hash(blue_green_rollout("maestro", image)["spec"]["template"])


@pytest.fixture(scope="module")
def colour_prometheus() -> Iterator[str]:
    """One job, two releases' pods: the first healthy, the second erroring from T0-10m. Only a
    watch that measures the serving colour alone tells them apart."""
    samples = Samples()
    for traffic in (
        Traffic("maestro", pod_hash=pod_hash(NEXT)),
        Traffic("maestro", pod_hash=pod_hash(THIRD), error_ratio=after(T0 - 10 * MIN, 0.05, 0.0)),
    ):
        record(samples, traffic, T0 - 2 * 3600, T0 + 5 * MIN)
    with prometheus_with(samples) as url:
        yield url


@pytest.fixture
def argo(k8s) -> Iterator[ArgoRolloutsCluster]:  # type: ignore[no-untyped-def]
    k8s.rollout("maestro-staging", image=GOOD)
    k8s.rollout("maestro", image=GOOD)
    kube = Kube(str(k8s.kubeconfig))
    yield ArgoRolloutsCluster(kube)
    kube.close()


def ship(rig: Rig, argo: ArgoRolloutsCluster, digest: str) -> str:
    """Cut a train for `digest` and promote it through stage and prod."""
    commit(rig.repo, f"feat: release {digest[-4:]}")
    captain = rig.service(cluster=argo)
    train = captain.cut().train_id
    captain.record_artifact(train, digest)
    for stage, approvers in (("stage", ["alice"]), ("prod", ["alice", "carol"])):
        captain.deploy(train, stage)
        captain.verify(train, stage)
        for who in approvers:
            rig.service(who, cluster=argo).approve(train, stage, who, "fine")
        rig.clock.advance(minutes=10)
        rig.service("bob", cluster=argo).promote(train, stage, "bob", "go")
    return train


def watch_prod(
    rig: Rig, argo: ArgoRolloutsCluster, url: str, train: str, start: float
) -> WatchOutcome:
    moment = [datetime.fromtimestamp(start, UTC)]

    def sleep(seconds: float) -> None:
        moment[0] += timedelta(seconds=seconds)

    app = App(rig.policy, rig.repo, store=rig.store, cluster=argo, verifier=rig.verifier,
              clock=rig.clock)  # fmt: skip
    return watch(
        rig.policy,
        "prod",
        metrics=PrometheusMetrics(url),
        cluster=RollbackThroughTrain(app, train, "watcher"),
        store=rig.store,
        duration=timedelta(minutes=3),
        interval=timedelta(seconds=30),
        clock=lambda: moment[0],
        sleep=sleep,
        actor="watcher",
        train_id=train,
    )


def test_the_watch_and_rollback_go_to_the_known_good_and_a_second_rollback_is_a_no_op(
    rig: Rig, argo: ArgoRolloutsCluster, k8s, colour_prometheus: str
) -> None:  # type: ignore[no-untyped-def]
    rig.clock.at = datetime.fromtimestamp(T0 - 60 * MIN, UTC)  # one timeline with the watches
    first = ship(rig, argo, NEXT)
    assert watch_prod(rig, argo, colour_prometheus, first, T0 - 3 * MIN).status == ("passed")
    # the second release passed its preview's verification; under full traffic it errors
    second = ship(rig, argo, THIRD)
    assert argo.status(PROD).stable == THIRD
    assert argo.status(PROD).active_hash == pod_hash(THIRD)  # the pods the watch measures
    outcome = watch_prod(rig, argo, colour_prometheus, second, T0 - 9 * MIN)
    assert outcome.status == "rolled_back"
    assert argo.status(PROD).stable == NEXT  # the known good, through the train
    assert rig.service().status(second)["stages"][1]["status"] == "rolled_back"

    for _ in range(2):  # the issue: this used to re-activate THIRD ("the previous revision")
        k8s.emulator.requests.clear()
        again = rig.service("dave", cluster=argo).rollback("prod", "dave", "p95 regression")
        assert "already runs" in again.message and NEXT in again.message
        assert k8s.emulator.writes() == [] and argo.status(PROD).stable == NEXT

    # --to works whatever the trains' states (first released, second rolled back)
    baseline = rig.service("dave", cluster=argo).rollback("prod", "dave", "drill", GOOD)
    assert argo.status(PROD).stable == GOOD and baseline.state.id == first
    back = rig.service("dave", cluster=argo).rollback("prod", "dave", "drill over", NEXT)
    assert argo.status(PROD).stable == NEXT and back.state.stage("prod").note == NEXT
    settled = rig.service("dave", cluster=argo).rollback("prod", "dave", "once more")
    assert "already runs" in settled.message and argo.status(PROD).stable == NEXT
    assert k8s.emulator.validate_all() == []


def test_a_failed_verification_after_promotion_rolls_back_to_the_known_good(
    rig: Rig, argo: ArgoRolloutsCluster, colour_prometheus: str
) -> None:
    """Not to the digest that served before this train (`previous_digest`): here that one was
    promoted but never proved itself through a watch."""
    rig.clock.at = datetime.fromtimestamp(T0 - 60 * MIN, UTC)
    first = ship(rig, argo, NEXT)
    assert watch_prod(rig, argo, colour_prometheus, first, T0 - 3 * MIN).status == ("passed")
    ship(rig, argo, THIRD)  # promoted, its watch never ran
    third = ship(rig, argo, FOURTH)
    assert rig.service().state(third).stage("prod").previous_digest == THIRD
    rig.verifier.verdicts["error-rate"] = "fail"
    after = rig.service(cluster=argo).verify(third, "prod")
    assert after.state.stage("prod").status.value == "rolled_back"
    assert argo.status(PROD).stable == NEXT

"""Issue 13's first done-when, on the Kubernetes emulator with a real Prometheus: a release bad
only on the new colour fails the preview's verification, the active colour is neither measured
nor touched; and a release bad only on the old colour does not fail its preview.

The colours' hashes come from the Rollout as Argo Rollouts reports them
(`status.blueGreen.activeSelector` / `previewSelector`, read by the Argo adapter); Prometheus
holds both colours of `maestro` under one `job`, pods named `maestro-<hash>-<suffix>` as the
ReplicaSet names them (kube-prometheus labels each series with its pod)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.emulators.kubernetes.fixtures import GOOD, NEXT, Cluster
from tests.gates.traffic import Traffic, record
from tests.prometheus_server import Samples, prometheus_with
from trainmaster.adapters.kubernetes.rollouts import ArgoRolloutsCluster
from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.rollout.backends import target_for
from trainmaster.train.verification import GatesVerifier

T = 1_750_020_000.0  # on every step grid
FAILING = {"latency": lambda _t: 2.5, "error_ratio": lambda _t: 0.2}
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def argo(k8s: Cluster, tmp_path: Path) -> Iterator[tuple[ArgoRolloutsCluster, object]]:
    text = seed_policy_text("acme", "maestro").replace(
        "  forge: github", f"  forge: github\n  kubeconfig: {k8s.kubeconfig}"
    )
    policy = parse_policy(text)
    k8s.rollout("maestro", image=GOOD)
    cluster = ArgoRolloutsCluster.from_policy(policy, tmp_path)
    cluster.deploy(target_for(policy, "prod"), NEXT)  # the preview colour, paused (manual promote)
    yield cluster, policy
    cluster.close()


def colours(cluster: ArgoRolloutsCluster, policy: object) -> tuple[str, str]:
    state = cluster.status(target_for(policy, "prod"))  # type: ignore[arg-type]
    assert state.stable == GOOD and state.preview == NEXT and state.paused
    assert state.active_hash and state.preview_hash and state.active_hash != state.preview_hash
    return state.active_hash, state.preview_hash


def verify_preview(argo_pair, k8s: Cluster, bad: str, good: str):  # type: ignore[no-untyped-def]
    cluster, policy = argo_pair
    samples = Samples()
    record(samples, Traffic("maestro", pod_hash=good), T - 2 * 3600, T)
    record(samples, Traffic("maestro", pod_hash=bad, **FAILING), T - 2 * 3600, T)  # type: ignore[arg-type]
    k8s.emulator.requests.clear()
    with prometheus_with(samples) as url:
        verifier = GatesVerifier(policy, PrometheusMetrics(url), cluster=cluster)
        only = ["p95-latency", "error-rate"]
        result = verifier.verify("prod", NEXT, at=datetime.fromtimestamp(T, UTC), only=only)
    touched = [r for r in k8s.emulator.requests if r.method in MUTATING]
    return result, touched


def test_a_release_bad_only_on_the_new_colour_fails_its_preview_verification(
    argo, k8s: Cluster
) -> None:  # type: ignore[no-untyped-def]
    active, preview = colours(*argo)
    result, touched = verify_preview(argo, k8s, bad=preview, good=active)
    assert result.verdict.value == "fail"
    assert {g.gate: g.verdict.value for g in result.gates} == {
        "p95-latency": "fail", "error-rate": "fail"
    }  # fmt: skip
    for gate in result.gates:  # the evidence names the colour and the selector measured
        assert gate.evidence["colour"] == "preview"
        assert f"maestro-{preview}-" in gate.evidence["selector"]
        assert active not in gate.evidence["query"]
    assert touched == []  # verification only reads; the active colour keeps serving
    state = argo[0].status(target_for(argo[1], "prod"))
    assert state.stable == GOOD and state.active_hash == active


def test_a_release_bad_only_on_the_old_colour_passes_its_preview_verification(
    argo, k8s: Cluster
) -> None:  # type: ignore[no-untyped-def]
    active, preview = colours(*argo)
    result, touched = verify_preview(argo, k8s, bad=active, good=preview)
    assert result.verdict.value == "pass" and touched == []
    assert all(g.evidence["colour"] == "preview" for g in result.gates) and len(result.gates) == 2

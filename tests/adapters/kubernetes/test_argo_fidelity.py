"""Argo Rollouts as the controller and the kubectl plugin really behave. Each case is first taught
to the emulator (tests/emulators/kubernetes) with the rule it follows, then read or driven through
`ArgoRolloutsCluster` over lightkube: every test here fails on the adapter without its fix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.emulators.kubernetes.fixtures import GOOD, NEXT, SIDECAR, THIRD, Cluster
from trainmaster.adapters.kubernetes.api import Conflict, Kube
from trainmaster.adapters.kubernetes.rollouts import ArgoRolloutsCluster
from trainmaster.rollout.plan import Operation
from trainmaster.rollout.port import Target

PROD = Target("prod", "maestro", "maestro")
RO = "/apis/argoproj.io/v1alpha1/namespaces/maestro/rollouts/maestro"
DEPLOY = "/apis/apps/v1/namespaces/maestro/deployments/maestro"
HASH = "rollouts-pod-template-hash"


@pytest.fixture
def argo(k8s: Cluster) -> Iterator[ArgoRolloutsCluster]:
    kube = Kube(str(k8s.kubeconfig))
    yield ArgoRolloutsCluster(kube)
    kube.close()


def _writes(k8s: Cluster) -> list[tuple[str, str, object]]:
    return [(r.method, r.path, r.body) for r in k8s.emulator.writes()]


def _hash_of(k8s: Cluster, image: str) -> str:
    for rs in k8s.emulator.replicasets("maestro"):
        containers = rs["spec"]["template"]["spec"]["containers"]
        if image in [c["image"] for c in containers]:
            return str(rs["metadata"]["labels"][HASH])
    raise AssertionError(f"no ReplicaSet runs {image}")


def test_post_promotion_analysis_the_new_colour_is_active_before_it_is_stable(k8s, argo):
    """rollout/bluegreen.go: promotion moves status.blueGreen.activeSelector to the new
    ReplicaSet; status.stableRS follows only when the post-promotion analysis succeeds. Reading
    stableRS as "what serves" reports the old image as stable while the new one takes traffic."""
    k8s.rollout("maestro", post_analysis=True)
    argo.deploy(PROD, NEXT)
    waiting = argo.status(PROD)
    assert (waiting.stable, waiting.preview) == (GOOD, NEXT)
    assert (waiting.active_hash, waiting.preview_hash) == (_hash_of(k8s, GOOD), _hash_of(k8s, NEXT))

    argo.promote(PROD)
    status = k8s.emulator.rollout("maestro", "maestro")["status"]
    assert status["stableRS"] == _hash_of(k8s, GOOD)  # the controller has not marked it stable
    analysing = argo.status(PROD)
    assert (analysing.stable, analysing.preview) == (NEXT, None)
    assert (analysing.active_hash, analysing.preview_hash) == (_hash_of(k8s, NEXT), None)
    assert analysing.phase == "Progressing"

    k8s.emulator.finish_analysis("maestro", "maestro")
    done = argo.status(PROD)
    assert (done.stable, done.active_hash, done.phase) == (NEXT, _hash_of(k8s, NEXT), "Healthy")


def test_the_phase_is_trusted_only_once_the_controller_observed_the_generation(k8s, argo):
    """utils/rollout/rolloututil.go GetRolloutPhase: while status.observedGeneration differs from
    metadata.generation the phase is "Progressing" ("waiting for rollout spec update to be
    observed"), whatever status.phase still says about the previous spec."""
    k8s.rollout("maestro")
    k8s.emulator.controller_lag = True
    argo.observe_timeout = 0.1
    argo.apply(PROD, argo.plan(PROD, Operation("deploy", image=NEXT)))
    stored = k8s.emulator.rollout("maestro", "maestro")
    assert stored["status"]["phase"] == "Healthy"  # stale: about the previous generation
    assert stored["status"]["observedGeneration"] != str(stored["metadata"]["generation"])
    state = argo.status(PROD)
    assert (state.phase, state.preview, state.preview_hash) == ("Progressing", None, None)
    assert "observed" in state.message and state.stable == GOOD

    k8s.emulator.reconcile("maestro", "maestro")
    caught_up = argo.status(PROD)
    assert (caught_up.phase, caught_up.preview) == ("Paused", NEXT)


def test_the_image_is_the_named_containers_not_a_sidecar_listed_first(k8s, argo):
    """A mesh sidecar is often listed first; the release is the container named in the policy
    (stages.<stage>.container), else the one named after the rollout, as the plugin's
    `set image` addresses a container by name, never by position."""
    k8s.rollout("maestro", sidecar_first=True)
    argo.deploy(PROD, NEXT)
    state = argo.status(PROD)
    assert (state.stable, state.preview) == (GOOD, NEXT)
    containers = k8s.emulator.rollout("maestro", "maestro")["spec"]["template"]["spec"]
    assert [c["image"] for c in containers["containers"]] == [SIDECAR["image"], NEXT]

    by_policy = ArgoRolloutsCluster(argo.kube, containers={"prod": "istio-proxy"})
    assert by_policy.status(PROD).stable == SIDECAR["image"]  # the policy's name wins


def test_promote_full_also_unpauses_a_manually_paused_rollout(k8s, argo):
    """argo-rollouts#4412 (fixing #4265): `promote --full` sends {"spec":{"paused":false}} too;
    a rollout with spec.paused ignores status.promoteFull and stalls."""
    k8s.rollout("maestro")
    argo.deploy(PROD, NEXT)
    k8s.emulator.handle("PATCH", RO, "application/merge-patch+json", b'{"spec":{"paused":true}}')
    k8s.emulator.requests.clear()
    argo.promote(PROD, full=True)
    assert _writes(k8s) == [
        ("PATCH", RO + "/status", {"status": {"promoteFull": True}}),
        ("PATCH", RO, {"spec": {"paused": False}}),
    ]
    state = argo.status(PROD)
    assert (state.stable, state.phase, state.paused) == (NEXT, "Healthy", False)


def test_promote_full_without_the_status_subresource_sends_the_unified_patch(k8s, argo):
    """promote.go: a 404 on /status (a v0.9 controller) sends the unified patch instead, and
    nothing else: with --full it must carry promoteFull and the unpause."""
    k8s.rollout("maestro")
    argo.deploy(PROD, NEXT)
    k8s.emulator.handle("PATCH", RO, "application/merge-patch+json", b'{"spec":{"paused":true}}')
    k8s.emulator.status_subresource = False
    k8s.emulator.requests.clear()
    argo.promote(PROD, full=True)
    assert [(w[1], w[2]) for w in _writes(k8s)] == [
        (RO + "/status", {"status": {"promoteFull": True}}),
        (RO, {"spec": {"paused": False}, "status": {"promoteFull": True}}),
    ]
    assert argo.status(PROD).stable == NEXT


def test_undo_on_a_workload_ref_rollout_patches_the_deployment(k8s, argo):
    """argo-rollouts#1275: a workloadRef rollout takes its pod template from the Deployment, so
    undo replaces /spec/template there; patching the Rollout changes nothing."""
    k8s.deployment("maestro")
    k8s.rollout("maestro", workload="maestro")
    argo.deploy(PROD, NEXT)
    assert _writes(k8s)[0][:2] == ("PUT", DEPLOY)  # set image on the referenced workload
    argo.promote(PROD)
    assert argo.status(PROD).stable == NEXT

    k8s.emulator.requests.clear()
    argo.undo(PROD)
    undo = _writes(k8s)[0]
    assert undo[:2] == ("PATCH", DEPLOY)
    ((op,),) = [undo[2]]
    assert op["path"] == "/spec/template" and HASH not in op["value"]["metadata"]["labels"]
    containers = k8s.emulator.deployment("maestro", "maestro")["spec"]["template"]["spec"]
    assert containers["containers"][0]["image"] == GOOD
    assert argo.status(PROD).stable == GOOD
    assert k8s.emulator.validate_all() == []


def test_retry_clears_the_abort_and_the_preview_waits_again(k8s, argo):
    """cmd/retry/retry.go: {"status":{"abort":false}} on /status (else the main resource); the
    controller resumes the update, pausing before promotion again."""
    k8s.rollout("maestro")
    argo.deploy(PROD, NEXT)
    argo.abort(PROD)
    assert argo.status(PROD).phase == "Degraded"
    k8s.emulator.requests.clear()
    argo.run(PROD, Operation("retry"))
    assert _writes(k8s) == [("PATCH", RO + "/status", {"status": {"abort": False}})]
    state = argo.status(PROD)
    assert (state.phase, state.stable, state.preview) == ("Paused", GOOD, NEXT)
    k8s.emulator.requests.clear()
    assert argo.plan(PROD, Operation("retry")).noop  # not aborted: nothing is sent


def test_restart_sets_restart_at_and_the_controller_records_it(k8s, argo):
    """cmd/restart/restart.go: a merge patch of spec.restartAt; the controller restarts the pods
    and sets status.restartedAt. The release (image, hash) is unchanged."""
    k8s.rollout("maestro")
    before = argo.status(PROD)
    at = "2026-01-01T00:00:00Z"
    argo.run(PROD, Operation("restart", at=at))
    assert _writes(k8s) == [("PATCH", RO, {"spec": {"restartAt": at}})]
    assert k8s.emulator.rollout("maestro", "maestro")["status"]["restartedAt"] == at
    after = argo.status(PROD)
    assert (after.stable, after.active_hash) == (before.stable, before.active_hash)


def test_a_conflict_is_retried_up_to_five_attempts(k8s, argo):
    """cmd/set/set_image.go: maxAttempts = 5, each with a fresh read."""
    k8s.rollout("maestro")
    k8s.emulator.conflicts_to_inject = 4
    argo.deploy(PROD, NEXT)
    assert [w[0] for w in _writes(k8s)].count("PUT") == 5
    assert argo.status(PROD).preview == NEXT

    k8s.emulator.conflicts_to_inject = 5
    with pytest.raises(Conflict):
        argo.deploy(PROD, THIRD)
    assert argo.status(PROD).preview == NEXT  # nothing half-applied

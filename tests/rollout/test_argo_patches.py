"""The patches are the kubectl plugin's, byte for byte in meaning (promote.go, abort.go, undo.go,
set_image.go)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.emulators.kubernetes.fixtures import GOOD, NEXT, blue_green_rollout
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import UsageError
from trainmaster.rollout import argo
from trainmaster.rollout.service import policy_warnings


def _paused() -> dict:
    ro = blue_green_rollout("maestro", NEXT)
    ro["metadata"]["uid"] = "u1"
    ro["status"] = {
        "pauseConditions": [{"reason": "BlueGreenPause", "startTime": "2026-01-01T00:00:00Z"}],
        "currentPodHash": "new",
        "stableRS": "old",
    }
    return ro


def test_promote_clears_pause_conditions_on_the_status_subresource_with_the_unified_fallback():
    (patch,) = argo.promote_patches(_paused())
    assert (patch.type, patch.subresource) == ("merge", "status")
    assert patch.body == {"status": {"pauseConditions": None}}
    assert patch.fallback is not None
    assert patch.fallback.body == {"spec": {"paused": False}, "status": {"pauseConditions": None}}
    assert patch.fallback.subresource is None


def test_promote_unpauses_spec_when_spec_paused():
    ro = _paused()
    ro["spec"]["paused"] = True
    status, spec = argo.promote_patches(ro)
    assert status.subresource == "status"
    assert (spec.body, spec.subresource) == ({"spec": {"paused": False}}, None)


def test_promote_full_only_when_the_new_colour_is_not_stable():
    assert argo.promote_patches(_paused(), full=True)[0].body == {"status": {"promoteFull": True}}
    healthy = _paused()
    healthy["status"]["currentPodHash"] = "old"
    assert argo.promote_patches(healthy, full=True) == ()


def test_abort_is_a_status_patch_with_a_main_resource_fallback():
    (patch,) = argo.abort_patches()
    assert (patch.body, patch.subresource) == ({"status": {"abort": True}}, "status")
    assert patch.fallback is not None and patch.fallback.body == patch.body


def _rs(revision: int, image: str, uid: str = "u1", pod_hash: str = "h") -> dict:
    template = {
        "metadata": {"labels": {"app": "maestro", "rollouts-pod-template-hash": pod_hash}},
        "spec": {"containers": [{"name": "maestro", "image": image}]},
    }
    return {
        "metadata": {
            "name": f"rs-{revision}",
            "annotations": {"rollout.argoproj.io/revision": str(revision)},
            "labels": template["metadata"]["labels"],
            "ownerReferences": [{"uid": uid, "controller": True, "kind": "Rollout"}],
        },
        "spec": {"template": template},
    }


def test_undo_replaces_the_template_with_the_previous_revision_without_its_hash_label():
    ro = _paused()
    sets = [_rs(1, "old@sha256:" + "1" * 64), _rs(3, NEXT), _rs(2, GOOD), _rs(9, "x", uid="other")]
    patch = argo.undo_patch(ro, sets)
    assert patch is not None and patch.type == "json"
    (op,) = patch.body
    assert (op["op"], op["path"]) == ("replace", "/spec/template")
    assert op["value"]["spec"]["containers"][0]["image"] == GOOD
    assert op["value"]["metadata"]["labels"] == {"app": "maestro"}


def test_undo_to_revision_and_missing_revision():
    ro = _paused()
    sets = [_rs(1, "old@sha256:" + "1" * 64), _rs(2, GOOD), _rs(3, NEXT)]
    patch = argo.undo_patch(ro, sets, to_revision=1)
    assert patch is not None
    assert patch.body[0]["value"]["spec"]["containers"][0]["image"].startswith("old@")
    with pytest.raises(UsageError, match="revision 7"):
        argo.undo_patch(ro, sets, to_revision=7)
    with pytest.raises(UsageError, match="no previous revision"):
        argo.undo_patch(ro, [_rs(1, NEXT)])


def test_undo_skips_when_the_template_already_matches():
    ro = blue_green_rollout("maestro", GOOD)
    ro["metadata"]["uid"] = "u1"
    same = _rs(1, GOOD)
    same["spec"]["template"]["spec"] = ro["spec"]["template"]["spec"]
    assert argo.undo_patch(ro, [_rs(2, NEXT), same], to_revision=1) is None
    # apimachinery's DeepDerivative: what the rollout leaves unset is ignored, not the reverse
    assert argo.derivative({"a": 1}, {"a": 1, "b": 2})
    assert not argo.derivative({"a": 1, "b": 2}, {"a": 1})
    assert not argo.derivative({"l": [1]}, {"l": [1, 2]})


def test_set_image_refuses_a_tag_and_replaces_by_digest():
    ro = blue_green_rollout("maestro", GOOD)
    with pytest.raises(UsageError, match="immutable"):
        argo.set_image(ro, "ghcr.io/acme/maestro:v1.2.3")
    with pytest.raises(UsageError, match="immutable"):
        argo.set_image(ro, "ghcr.io/acme/maestro@sha256:abc")
    updated, patch = argo.set_image(ro, NEXT)
    assert updated["spec"]["template"]["spec"]["containers"][0]["image"] == NEXT
    assert ro["spec"]["template"]["spec"]["containers"][0]["image"] == GOOD  # input untouched
    assert patch.body == [
        {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": NEXT}
    ]


def test_set_image_needs_a_container_name_when_ambiguous():
    ro = blue_green_rollout("api", GOOD)
    ro["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": GOOD})
    updated, _ = argo.set_image(ro, NEXT)  # the one named after the rollout
    assert [c["image"] for c in updated["spec"]["template"]["spec"]["containers"]] == [NEXT, GOOD]
    ro["metadata"]["name"] = "other"
    with pytest.raises(UsageError, match="--container"):
        argo.set_image(ro, NEXT)
    with pytest.raises(UsageError, match="unable to find container"):
        argo.set_image(ro, NEXT, "nope")


def test_warns_when_the_watch_window_outlasts_the_scale_down_delay():
    ro = blue_green_rollout("maestro", GOOD, delay=30)
    warnings = argo.strategy_warnings(ro, prod=True, watch=timedelta(minutes=30))
    assert any("outlasts scaleDownDelaySeconds (30s)" in w for w in warnings)
    ro = blue_green_rollout("maestro", GOOD, delay=3600)
    assert argo.strategy_warnings(ro, prod=True, watch=timedelta(minutes=30)) == []
    ro = blue_green_rollout("maestro", GOOD, auto=True, delay=3600)
    assert any(
        "autoPromotionEnabled" in w for w in argo.strategy_warnings(ro, prod=True, watch=None)
    )
    del ro["spec"]["strategy"]["blueGreen"]["scaleDownDelaySeconds"]  # the default is 30 s
    assert argo.scale_down_delay(ro) == timedelta(seconds=30)


def test_policy_warning_when_watch_outlasts_the_stage_scale_down_delay():
    policy = parse_policy(seed_policy_text())
    assert policy_warnings(policy, "prod") == []  # the seed keeps the old colour 30m, watches 30m
    text = seed_policy_text().replace("scale_down_delay: 30m", "scale_down_delay: 10m")
    (warning,) = policy_warnings(parse_policy(text), "prod")
    assert "outlasts scale_down_delay" in warning


def test_set_image_refuses_a_rollout_whose_template_lives_in_a_deployment():
    ro = blue_green_rollout("maestro", GOOD)
    del ro["spec"]["template"]
    ro["spec"]["workloadRef"] = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    with pytest.raises(UsageError, match="Deployment 'web'"):
        argo.set_image(ro, NEXT)

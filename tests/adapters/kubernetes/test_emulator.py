"""The emulator applies patches as the API server does and guards what it stores."""

from __future__ import annotations

import json

import pytest

from tests.emulators.kubernetes.fixtures import GOOD, Cluster
from tests.emulators.kubernetes.patches import (
    PatchError,
    json_patch,
    merge_patch,
    strategic_merge_patch,
)

RO = "/apis/argoproj.io/v1alpha1/namespaces/maestro/rollouts/maestro"


def test_merge_patch_rfc7386():
    doc = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert merge_patch(doc, {"a": {"b": None, "c": [3]}, "e": {"f": None}}) == {
        "a": {"c": [3]},
        "d": 1,
        "e": {},
    }


def test_json_patch_rfc6902():
    doc = {"l": [1, 2], "o": {"k": "v"}}
    out = json_patch(
        doc,
        [
            {"op": "add", "path": "/l/-", "value": 3},
            {"op": "replace", "path": "/o/k", "value": "w"},
            {"op": "move", "from": "/o/k", "path": "/m"},
            {"op": "copy", "from": "/l/0", "path": "/l/0"},
            {"op": "test", "path": "/m", "value": "w"},
            {"op": "remove", "path": "/l/1"},
        ],
    )
    assert out == {"l": [1, 2, 3], "o": {}, "m": "w"}
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "replace", "path": "/missing", "value": 1}])
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "test", "path": "/l/0", "value": 9}])


def test_strategic_merge_merges_containers_by_name():
    pod = {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}
    patch = {"containers": [{"name": "b", "image": "z"}, {"name": "c", "image": "q"}]}
    assert strategic_merge_patch(pod, patch)["containers"] == [
        {"name": "a", "image": "x"},
        {"name": "b", "image": "z"},
        {"name": "c", "image": "q"},
    ]
    deleting = {"containers": [{"name": "a", "$patch": "delete"}]}
    assert strategic_merge_patch(pod, deleting)["containers"] == [{"name": "b", "image": "y"}]


def _call(k8s: Cluster, method: str, path: str, ctype: str, body: object) -> tuple[int, dict]:
    code, out = k8s.emulator.handle(method, path, ctype, json.dumps(body).encode())
    return code, out


def test_strategic_merge_is_refused_for_a_custom_resource(k8s: Cluster):
    k8s.rollout("maestro")
    code, out = _call(k8s, "PATCH", RO, "application/strategic-merge-patch+json", {"spec": {}})
    assert code == 415 and out["reason"] == "UnsupportedMediaType"


def test_stale_resource_version_is_a_409_and_missing_one_a_422(k8s: Cluster):
    k8s.rollout("maestro")
    current = k8s.emulator.rollout("maestro", "maestro")
    stale = json.loads(json.dumps(current))
    stale["metadata"]["resourceVersion"] = "1"
    assert _call(k8s, "PUT", RO, "application/json", stale)[0] == 409
    del stale["metadata"]["resourceVersion"]
    assert _call(k8s, "PUT", RO, "application/json", stale)[0] == 422
    assert _call(k8s, "PUT", RO, "application/json", current)[0] == 200


def test_every_stored_rollout_is_schema_valid(k8s: Cluster):
    k8s.rollout("maestro")
    code, out = _call(
        k8s, "PATCH", RO, "application/merge-patch+json", {"spec": {"replicas": "two"}}
    )
    assert code == 422 and "spec.replicas" in out["message"]
    assert k8s.emulator.rollout("maestro", "maestro")["spec"]["replicas"] == 2


def test_status_subresource_separates_spec_and_status(k8s: Cluster):
    k8s.rollout("maestro")
    before = k8s.emulator.rollout("maestro", "maestro")
    _call(k8s, "PATCH", RO, "application/merge-patch+json", {"status": {"abort": True}})
    assert "abort" not in k8s.emulator.rollout("maestro", "maestro")["status"]
    _call(k8s, "PATCH", RO + "/status", "application/merge-patch+json",
          {"spec": {"paused": True}, "status": {"abort": True}})  # fmt: skip
    after = k8s.emulator.rollout("maestro", "maestro")
    assert after["status"]["abort"] is True and "paused" not in after["spec"]
    assert after["metadata"]["generation"] == before["metadata"]["generation"]


def test_controller_creates_a_replicaset_per_template_with_revisions(k8s: Cluster):
    k8s.rollout("maestro")
    path = "/spec/template/spec/containers/0/image"
    new = GOOD.replace("a" * 64, "d" * 64)
    _call(k8s, "PATCH", RO, "application/json-patch+json",
          [{"op": "replace", "path": path, "value": new}])  # fmt: skip
    sets = k8s.emulator.replicasets("maestro")
    revisions = sorted(rs["metadata"]["annotations"]["rollout.argoproj.io/revision"] for rs in sets)
    assert revisions == ["1", "2"]
    assert all(rs["metadata"]["ownerReferences"][0]["controller"] for rs in sets)


def test_unknown_fields_are_pruned_with_a_warning(k8s: Cluster):
    k8s.rollout("maestro")
    assert k8s.emulator.warnings == []
    body = {"spec": {"pausd": True, "strategy": {"blueGreen": {"autoPromotionEnable": True}}}}
    code, _ = _call(k8s, "PATCH", RO, "application/merge-patch+json", body)
    assert code == 200
    stored = k8s.emulator.rollout("maestro", "maestro")
    assert "pausd" not in stored["spec"]
    assert "autoPromotionEnable" not in stored["spec"]["strategy"]["blueGreen"]
    assert sorted(k8s.emulator.warnings) == [
        'unknown field "spec.pausd"',
        'unknown field "spec.strategy.blueGreen.autoPromotionEnable"',
    ]

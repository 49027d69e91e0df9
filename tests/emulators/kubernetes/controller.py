"""A minimal Argo Rollouts controller for blue-green: a ReplicaSet per pod template (revisions as
the real controller numbers them), the pause before promotion, promotion, abort."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

REVISION = "rollout.argoproj.io/revision"
HASH = "rollouts-pod-template-hash"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def template_hash(template: dict[str, Any]) -> str:
    clean = copy.deepcopy(template)
    clean.get("metadata", {}).get("labels", {}).pop(HASH, None)
    digest = hashlib.sha256(json.dumps(clean, sort_keys=True).encode()).hexdigest()
    return digest[:10]


def _revision(obj: dict[str, Any]) -> int:
    return int(obj["metadata"].get("annotations", {}).get(REVISION, "0"))


def replicaset_for(rollout: dict[str, Any], pod_hash: str, revision: int) -> dict[str, Any]:
    meta = rollout["metadata"]
    template = copy.deepcopy(rollout["spec"]["template"])
    template.setdefault("metadata", {}).setdefault("labels", {})[HASH] = pod_hash
    selector = copy.deepcopy(rollout["spec"].get("selector", {}))
    selector.setdefault("matchLabels", {})[HASH] = pod_hash
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{meta['name']}-{pod_hash}",
            "namespace": meta["namespace"],
            "labels": dict(template["metadata"]["labels"]),
            "annotations": {REVISION: str(revision)},
            "ownerReferences": [
                {
                    "apiVersion": "argoproj.io/v1alpha1",
                    "kind": "Rollout",
                    "name": meta["name"],
                    "uid": meta["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "replicas": rollout["spec"].get("replicas", 1),
            "selector": selector,
            "template": template,
        },
    }


def reconcile(rollout: dict[str, Any], replicasets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Update `rollout` in place; return the ReplicaSets to store (new or with a new revision)."""
    changed: list[dict[str, Any]] = []
    pod_hash = template_hash(rollout["spec"]["template"])
    status = rollout.setdefault("status", {})
    newest = max((_revision(rs) for rs in replicasets), default=0)
    existing = next(
        (rs for rs in replicasets if rs["metadata"]["labels"].get(HASH) == pod_hash), None
    )
    if existing is None:
        existing = replicaset_for(rollout, pod_hash, newest + 1)
        changed.append(existing)
    elif _revision(existing) != newest:
        existing["metadata"]["annotations"][REVISION] = str(newest + 1)  # a rollback re-numbers
        changed.append(existing)
    rollout["metadata"].setdefault("annotations", {})[REVISION] = existing["metadata"][
        "annotations"
    ][REVISION]
    if status.get("currentPodHash") != pod_hash:
        status["currentPodHash"] = pod_hash
        status.pop("abort", None)  # a new update clears an abort
        status.pop("pauseConditions", None)
        status.pop("controllerPause", None)
    _step(rollout)
    return changed


def _step(rollout: dict[str, Any]) -> None:
    spec, status = rollout["spec"], rollout["status"]
    blue_green = spec.get("strategy", {}).get("blueGreen") or {}
    current, stable = status["currentPodHash"], status.get("stableRS")
    bg = status.setdefault("blueGreen", {})
    status["observedGeneration"] = str(rollout["metadata"].get("generation", 1))
    if status.get("abort"):
        status["phase"], status["message"] = "Degraded", "RolloutAborted: Rollout aborted update"
        status.pop("pauseConditions", None)
        bg["activeSelector"] = stable
        return
    if stable is None or current == stable or status.pop("promoteFull", False):
        _promoted(status, current)
        return
    bg["previewSelector"] = current
    auto = blue_green.get("autoPromotionEnabled", True)
    if spec.get("paused"):
        status["phase"], status["message"] = "Paused", "manually paused"
    elif not auto and not status.get("pauseConditions") and not status.get("controllerPause"):
        status["pauseConditions"] = [{"reason": "BlueGreenPause", "startTime": now()}]
        status["controllerPause"] = True
        status["phase"], status["message"] = "Paused", "BlueGreenPause"
    elif status.get("pauseConditions"):
        status["phase"], status["message"] = "Paused", "BlueGreenPause"
    else:
        _promoted(status, current)


def _promoted(status: dict[str, Any], current: str) -> None:
    status["stableRS"] = current
    status.setdefault("blueGreen", {})["activeSelector"] = current
    status["blueGreen"]["previewSelector"] = current
    status.pop("pauseConditions", None)
    status.pop("controllerPause", None)
    status["phase"], status["message"] = "Healthy", ""

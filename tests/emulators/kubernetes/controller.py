"""A minimal Argo Rollouts controller for blue-green: a ReplicaSet per pod template (revisions as
the real controller numbers them), the pause before promotion, promotion, abort, retry, restart,
post-promotion analysis (rollout/bluegreen.go: the active selector moves at promotion, stableRS
only once the analysis succeeds) and a pod template taken from a Deployment (workloadRef)."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

REVISION = "rollout.argoproj.io/revision"
HASH = "rollouts-pod-template-hash"
WORKLOAD_GENERATION = "rollout.argoproj.io/workload-generation"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def template_hash(template: dict[str, Any]) -> str:
    clean = copy.deepcopy(template)
    clean.get("metadata", {}).get("labels", {}).pop(HASH, None)
    digest = hashlib.sha256(json.dumps(clean, sort_keys=True).encode()).hexdigest()
    return digest[:10]


def _revision(obj: dict[str, Any]) -> int:
    return int(obj["metadata"].get("annotations", {}).get(REVISION, "0"))


def replicaset_for(
    rollout: dict[str, Any], template: dict[str, Any], pod_hash: str, revision: int
) -> dict[str, Any]:
    meta = rollout["metadata"]
    template = copy.deepcopy(template)
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


def reconcile(
    rollout: dict[str, Any],
    replicasets: list[dict[str, Any]],
    workload: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Update `rollout` in place; return the ReplicaSets to store (new or with a new revision).
    `workload`: the Deployment a workloadRef names, whose pod template the rollout runs."""
    changed: list[dict[str, Any]] = []
    template = _template(rollout, workload)
    if template is None:
        return changed  # the referenced workload does not exist (yet): nothing to run
    pod_hash = template_hash(template)
    status = rollout.setdefault("status", {})
    newest = max((_revision(rs) for rs in replicasets), default=0)
    existing = next(
        (rs for rs in replicasets if rs["metadata"]["labels"].get(HASH) == pod_hash), None
    )
    if existing is None:
        existing = replicaset_for(rollout, template, pod_hash, newest + 1)
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
        status.get("blueGreen", {}).pop("postPromotionAnalysisRunStatus", None)
    if workload is not None:
        generation = str(workload["metadata"].get("generation", 1))
        annotations = rollout["metadata"].setdefault("annotations", {})
        annotations[WORKLOAD_GENERATION] = generation
        status["workloadObservedGeneration"] = generation
    _restart(rollout)
    _step(rollout)
    return changed


def _template(rollout: dict[str, Any], workload: dict[str, Any] | None) -> Any:
    if rollout["spec"].get("workloadRef"):
        return None if workload is None else workload["spec"]["template"]
    return rollout["spec"]["template"]


def _restart(rollout: dict[str, Any]) -> None:
    """spec.restartAt in the past and not yet done: the pods restart (same ReplicaSets), and
    status.restartedAt records it (rollout/restart.go)."""
    restart_at = rollout["spec"].get("restartAt")
    status = rollout["status"]
    if restart_at and restart_at <= now() and status.get("restartedAt") != restart_at:
        status["restartedAt"] = restart_at
        status["restarts"] = status.get("restarts", 0) + 1


def _step(rollout: dict[str, Any]) -> None:
    spec, status = rollout["spec"], rollout["status"]
    blue_green = spec.get("strategy", {}).get("blueGreen") or {}
    current, stable = status["currentPodHash"], status.get("stableRS")
    bg = status.setdefault("blueGreen", {})
    status["observedGeneration"] = str(rollout["metadata"].get("generation", 1))
    if status.get("abort"):
        status["phase"], status["message"] = "Degraded", "RolloutAborted: Rollout aborted update"
        status.pop("pauseConditions", None)
        status.pop("controllerPause", None)  # a retry (abort false) pauses before promotion again
        bg["activeSelector"] = stable
        return
    if stable is None or current == stable:
        _promoted(status, current)
        return
    if bg.get("activeSelector") != current:
        bg["previewSelector"] = current
    if spec.get("paused"):  # a manual pause holds everything, status.promoteFull included
        status["phase"], status["message"] = "Paused", "manually paused"
        return
    if status.pop("promoteFull", False):
        _promoted(status, current)
        return
    if bg.get("activeSelector") == current:  # promoted; post-promotion analysis decides
        _analysing(status, current)
        return
    auto = blue_green.get("autoPromotionEnabled", True)
    if not auto and not status.get("pauseConditions") and not status.get("controllerPause"):
        status["pauseConditions"] = [{"reason": "BlueGreenPause", "startTime": now()}]
        status["controllerPause"] = True
        status["phase"], status["message"] = "Paused", "BlueGreenPause"
    elif status.get("pauseConditions"):
        status["phase"], status["message"] = "Paused", "BlueGreenPause"
    elif blue_green.get("postPromotionAnalysis"):
        bg["activeSelector"] = current  # the switch happens first, stableRS after the analysis
        _analysing(status, current)
    else:
        _promoted(status, current)


def _analysing(status: dict[str, Any], current: str) -> None:
    """bluegreen.go: after the selector switch, the new ReplicaSet becomes stableRS only when
    the post-promotion AnalysisRun succeeds (`finish_analysis` in the emulator)."""
    run = status["blueGreen"].get("postPromotionAnalysisRunStatus") or {}
    status.pop("pauseConditions", None)
    status.pop("controllerPause", None)
    if run.get("status") == "Successful":
        _promoted(status, current)
    else:
        status["phase"], status["message"] = "Progressing", "waiting for analysis to complete"


def _promoted(status: dict[str, Any], current: str) -> None:
    status["stableRS"] = current
    status.setdefault("blueGreen", {})["activeSelector"] = current
    status["blueGreen"]["previewSelector"] = current
    status.pop("pauseConditions", None)
    status.pop("controllerPause", None)
    status["phase"], status["message"] = "Healthy", ""

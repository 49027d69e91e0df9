"""The Argo Rollouts patches, computed from a fresh read exactly as `kubectl argo rollouts` does.

Pure functions over the Rollout and ReplicaSet objects as the API returns them (plain JSON).
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from trainmaster.errors import UsageError
from trainmaster.rollout.plan import Patch
from trainmaster.rollout.port import RolloutState, Target, is_digest_ref

Manifest = dict[str, Any]

REVISION_ANNOTATION = "rollout.argoproj.io/revision"
POD_TEMPLATE_HASH = "rollouts-pod-template-hash"
DEFAULT_SCALE_DOWN_DELAY = timedelta(seconds=30)  # Argo Rollouts' default scaleDownDelaySeconds


def promote_patches(rollout: Manifest, *, full: bool = False) -> tuple[Patch, ...]:
    """The plugin's `promote`: status patch first (pauseConditions null, or promoteFull), then the
    spec patch (paused false). When the status subresource is missing, the unified patch."""
    spec, status = rollout.get("spec", {}), rollout.get("status", {})
    if full:
        if status.get("currentPodHash") == status.get("stableRS"):
            return ()
        return (Patch("merge", {"status": {"promoteFull": True}}, "status", description="full"),)
    unified = Patch("merge", {"spec": {"paused": False}, "status": {"pauseConditions": None}})
    patches: list[Patch] = []
    if status.get("pauseConditions"):
        clear = {"status": {"pauseConditions": None}}
        patches.append(Patch("merge", clear, "status", fallback=unified))
    if spec.get("paused"):
        patches.append(Patch("merge", {"spec": {"paused": False}}))
    return tuple(patches)


def abort_patches() -> tuple[Patch, ...]:
    body = {"status": {"abort": True}}
    return (Patch("merge", body, "status", fallback=Patch("merge", body)),)


def owned_replicasets(rollout: Manifest, replicasets: list[Manifest]) -> list[Manifest]:
    """Only ReplicaSets whose controller reference is this Rollout (as the plugin filters)."""
    uid = rollout.get("metadata", {}).get("uid")
    owned = []
    for rs in replicasets:
        refs = rs.get("metadata", {}).get("ownerReferences") or []
        if any(r.get("controller") and r.get("uid") == uid for r in refs):
            owned.append(rs)
    return owned


def revision_of(obj: Manifest) -> int:
    value = (obj.get("metadata", {}).get("annotations") or {}).get(REVISION_ANNOTATION)
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return -1


def replicaset_for_revision(
    rollout: Manifest, replicasets: list[Manifest], to_revision: int | None
) -> Manifest:
    """The ReplicaSet to go back to: `to_revision`, or the second newest revision."""
    owned = [rs for rs in owned_replicasets(rollout, replicasets) if revision_of(rs) >= 0]
    name = rollout.get("metadata", {}).get("name", "?")
    if to_revision:
        for rs in owned:
            if revision_of(rs) == to_revision:
                return rs
        raise UsageError(f"unable to find revision {to_revision} in the history of {name!r}")
    ordered = sorted(owned, key=revision_of, reverse=True)
    if len(ordered) < 2:
        raise UsageError(f"no previous revision found for rollout {name!r}")
    return ordered[1]


def _without_hash(template: Manifest) -> Manifest:
    clean = copy.deepcopy(template)
    labels = clean.get("metadata", {}).get("labels")
    if labels:
        labels.pop(POD_TEMPLATE_HASH, None)
    return clean


def derivative(mine: Any, theirs: Any) -> bool:
    """apimachinery's semantic DeepDerivative, as the plugin compares templates: what `mine`
    leaves unset (missing keys, empty strings, maps or lists) is ignored."""
    if mine is None or mine in ("", {}, []):
        return True
    if isinstance(mine, dict):
        if not isinstance(theirs, dict):
            return False
        return all(derivative(v, theirs.get(k)) for k, v in mine.items())
    if isinstance(mine, list):
        if not isinstance(theirs, list) or len(mine) != len(theirs):
            return False
        return all(derivative(a, b) for a, b in zip(mine, theirs, strict=True))
    return bool(mine == theirs)


def undo_patch(
    rollout: Manifest, replicasets: list[Manifest], to_revision: int | None = None
) -> Patch | None:
    """The plugin's `undo`: a JSON patch replacing /spec/template with the previous revision's pod
    template, its hash label removed. None when the rollout already runs that template."""
    rs = replicaset_for_revision(rollout, replicasets, to_revision)
    template = _without_hash(rs.get("spec", {}).get("template", {}))
    if derivative(_without_hash(rollout.get("spec", {}).get("template", {})), template):
        return None
    body = [{"op": "replace", "path": "/spec/template", "value": template}]
    return Patch("json", body, description=f"revision {revision_of(rs)}")


def require_digest(image: str) -> str:
    if not is_digest_ref(image):
        raise UsageError(
            f"{image!r} is not an immutable reference: give repo@sha256:<64 hex> (tags move)"
        )
    return image


def _containers(rollout: Manifest) -> list[tuple[str, Manifest]]:
    pod = rollout.get("spec", {}).get("template", {}).get("spec", {})
    found = []
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        found += [(kind, c) for c in pod.get(kind) or []]
    return found


def choose_container(rollout: Manifest, container: str | None) -> str:
    """`--container`, else the only container, else the one named after the rollout."""
    names = [c.get("name", "") for kind, c in _containers(rollout) if kind == "containers"]
    if container:
        if container != "*" and container not in [c.get("name") for _, c in _containers(rollout)]:
            raise UsageError(f"unable to find container named {container!r}")
        return container
    if len(names) == 1:
        return str(names[0])
    rollout_name = rollout.get("metadata", {}).get("name")
    if rollout_name in names:
        return str(rollout_name)
    raise UsageError(f"the rollout has containers {', '.join(names)}: give --container")


def set_image(
    rollout: Manifest, image: str, container: str | None = None
) -> tuple[Manifest, Patch]:
    """The plugin's `set image`: the whole object updated (PUT, optimistic on resourceVersion)
    with the container's image replaced. The Patch records the change as a JSON patch too."""
    require_digest(image)
    workload = rollout.get("spec", {}).get("workloadRef")
    if workload:
        raise UsageError(
            f"the rollout takes its pod template from {workload.get('kind')} "
            f"{workload.get('name')!r} (workloadRef): set the image there"
        )
    name = choose_container(rollout, container)
    updated = copy.deepcopy(rollout)
    pod = updated.setdefault("spec", {}).setdefault("template", {}).setdefault("spec", {})
    changes = []
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for i, c in enumerate(pod.get(kind) or []):
            if (c.get("name") == name or name == "*") and c.get("image") != image:
                c["image"] = image
                path = f"/spec/template/spec/{kind}/{i}/image"
                changes.append({"op": "replace", "path": path, "value": image})
    return updated, Patch("update", changes, description=f"container {name}")


def current_image(rollout: Manifest, container: str | None = None) -> str | None:
    try:
        name = choose_container(rollout, container)
    except UsageError:
        return None
    for kind, c in _containers(rollout):
        if kind == "containers" and (c.get("name") == name or name == "*"):
            return str(c.get("image"))
    return None


def _image_by_hash(replicasets: list[Manifest], pod_hash: str | None) -> str | None:
    for rs in replicasets:
        labels = rs.get("metadata", {}).get("labels") or {}
        if pod_hash and labels.get(POD_TEMPLATE_HASH) == pod_hash:
            containers = rs.get("spec", {}).get("template", {}).get("spec", {}).get("containers")
            return str(containers[0].get("image")) if containers else None
    return None


def rollout_state(target: Target, rollout: Manifest, replicasets: list[Manifest]) -> RolloutState:
    spec, status = rollout.get("spec", {}), rollout.get("status", {})
    owned = owned_replicasets(rollout, replicasets)
    stable = _image_by_hash(owned, status.get("stableRS"))
    current = status.get("currentPodHash")
    preview = _image_by_hash(owned, current) if current != status.get("stableRS") else None
    paused = bool(spec.get("paused") or status.get("pauseConditions"))
    phase = status.get("phase") or ("Paused" if paused else "Progressing")
    if status.get("abort"):
        phase = "Degraded"
    return RolloutState(
        target=target,
        phase=phase,
        stable=stable or current_image(rollout),
        preview=preview,
        revision=revision_of(rollout),
        paused=paused,
        message=status.get("message", ""),
    )


def scale_down_delay(rollout: Manifest) -> timedelta:
    blue_green = rollout.get("spec", {}).get("strategy", {}).get("blueGreen") or {}
    seconds = blue_green.get("scaleDownDelaySeconds")
    return DEFAULT_SCALE_DOWN_DELAY if seconds is None else timedelta(seconds=int(seconds))


def strategy_warnings(rollout: Manifest, *, prod: bool, watch: timedelta | None) -> list[str]:
    """Why an instant undo may not be instant: the old colour is scaled down before the watch
    window ends, or prod would promote itself."""
    warnings = []
    blue_green = rollout.get("spec", {}).get("strategy", {}).get("blueGreen")
    if prod and blue_green is None:
        warnings.append("prod is not a blue-green rollout: undo will not be instant")
    if prod and blue_green is not None and blue_green.get("autoPromotionEnabled", True):
        warnings.append("prod has autoPromotionEnabled (not false): promotion is not manual")
    delay = scale_down_delay(rollout)
    if blue_green is not None and watch is not None and watch > delay:
        warnings.append(
            f"the watch window ({watch}) outlasts scaleDownDelaySeconds "
            f"({int(delay.total_seconds())}s): rollback after that re-creates pods, not instant"
        )
    return warnings

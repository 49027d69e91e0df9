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
    """The plugin's `promote` (cmd/promote/promote.go): status patch first (pauseConditions null,
    or promoteFull), then the spec patch (paused false). When the status subresource is missing
    (404), the unified patch replaces both."""
    spec, status = rollout.get("spec", {}), rollout.get("status", {})
    if full:
        return _promote_full(spec, status)
    unified = Patch("merge", {"spec": {"paused": False}, "status": {"pauseConditions": None}})
    patches: list[Patch] = []
    if status.get("pauseConditions"):
        clear = {"status": {"pauseConditions": None}}
        patches.append(Patch("merge", clear, "status", fallback=unified))
    if spec.get("paused"):
        patches.append(Patch("merge", {"spec": {"paused": False}}))
    return tuple(patches)


def _promote_full(spec: Manifest, status: Manifest) -> tuple[Patch, ...]:
    """`promote --full` also unpauses (argo-rollouts#4412, fixing #4265): a manually paused
    rollout (spec.paused) ignores status.promoteFull, so without it the rollout stalls."""
    unpause = {"spec": {"paused": False}} if spec.get("paused") else {}
    patches: list[Patch] = []
    if status.get("currentPodHash") != status.get("stableRS"):
        body = {"status": {"promoteFull": True}}
        unified = Patch("merge", {**unpause, **body})
        patches.append(Patch("merge", body, "status", fallback=unified, description="full"))
    if unpause:
        patches.append(Patch("merge", unpause))
    return tuple(patches)


def retry_patches(rollout: Manifest) -> tuple[Patch, ...]:
    """The plugin's `retry rollout` (cmd/retry/retry.go): status.abort false, on the status
    subresource, else the main resource. Nothing to send when the rollout is not aborted."""
    if not rollout.get("status", {}).get("abort"):
        return ()
    body = {"status": {"abort": False}}
    return (Patch("merge", body, "status", fallback=Patch("merge", body)),)


def restart_patch(at: str) -> Patch:
    """The plugin's `restart` (cmd/restart/restart.go): spec.restartAt; the controller restarts
    every pod created before that instant and records status.restartedAt."""
    return Patch("merge", {"spec": {"restartAt": at}}, description=f"restart at {at}")


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
    rollout: Manifest,
    replicasets: list[Manifest],
    to_revision: int | None = None,
    workload: Manifest | None = None,
) -> Patch | None:
    """The plugin's `undo` (cmd/undo/undo.go): a JSON patch replacing /spec/template with the
    previous revision's pod template, its hash label removed. On a workloadRef rollout the
    template lives in the referenced Deployment (`workload`), so the patch goes there
    (argo-rollouts#1275): patching the Rollout would change nothing. None when already there."""
    rs = replicaset_for_revision(rollout, replicasets, to_revision)
    template = _without_hash(rs.get("spec", {}).get("template", {}))
    holder = workload if workload is not None else rollout
    if derivative(_without_hash(holder.get("spec", {}).get("template", {})), template):
        return None
    body = [{"op": "replace", "path": "/spec/template", "value": template}]
    kind = "Rollout" if workload is None else "Deployment"
    return Patch("json", body, description=f"revision {revision_of(rs)}", kind=kind)


def workload_name(rollout: Manifest) -> str | None:
    """The Deployment a workloadRef rollout takes its pod template from, else None."""
    ref = rollout.get("spec", {}).get("workloadRef") or {}
    if not ref:
        return None
    if ref.get("kind", "Deployment") != "Deployment":
        raise UsageError(
            f"the rollout's workloadRef is a {ref.get('kind')}: only a Deployment is supported"
        )
    return str(ref.get("name", ""))


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
    rollout: Manifest, image: str, container: str | None = None, workload: Manifest | None = None
) -> tuple[Manifest, Patch]:
    """The plugin's `set image` (cmd/set/set_image.go): the whole object updated (PUT, optimistic
    on resourceVersion) with the container's image replaced. On a workloadRef rollout the object
    is the referenced Deployment (`workload`): the rollout has no template of its own
    (argo-rollouts#1525). The Patch records the change as a JSON patch too."""
    require_digest(image)
    if workload is not None:
        named = {"metadata": rollout.get("metadata", {}), "spec": workload.get("spec", {})}
        updated, patch = set_image(named, image, container)
        whole = {**workload, "spec": updated["spec"]}
        return whole, Patch("update", patch.body, description=patch.description, kind="Deployment")
    if workload_name(rollout) is not None:
        raise UsageError(
            f"the rollout takes its pod template from Deployment {workload_name(rollout)!r} "
            "(workloadRef): set the image there"
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


def _image_by_hash(
    rollout: Manifest, replicasets: list[Manifest], pod_hash: str | None, container: str | None
) -> str | None:
    """The image of the chosen container (the policy's, else as `choose_container`) in the
    ReplicaSet with `pod_hash`; never simply the first container, which may be a sidecar."""
    for rs in replicasets:
        labels = rs.get("metadata", {}).get("labels") or {}
        if pod_hash and labels.get(POD_TEMPLATE_HASH) == pod_hash:
            as_rollout = {"metadata": rollout.get("metadata", {}), "spec": rs.get("spec", {})}
            return current_image(as_rollout, container)
    return None


def generation_observed(rollout: Manifest) -> bool:
    """The plugin's `isGenerationObserved` (utils/rollout/rolloututil.go): status describes the
    current spec only once status.observedGeneration equals metadata.generation. A non-numeric
    value (a v0.9 hash) or one ahead of the generation counts as observed."""
    observed = str(rollout.get("status", {}).get("observedGeneration", ""))
    generation = int(rollout.get("metadata", {}).get("generation", 0) or 0)
    if not observed.isdigit():
        return True
    return int(observed) >= generation


def colour_hashes(rollout: Manifest) -> tuple[str | None, str | None]:
    """(active, preview) pod-template hashes. Blue-green: status.blueGreen.activeSelector and
    previewSelector, which the controller moves at promotion, before post-promotion analysis
    marks the new ReplicaSet stable (status.stableRS lags behind until then). Canary, or a status
    without selectors: stableRS serves, currentPodHash is the new colour."""
    status = rollout.get("status", {})
    blue_green = status.get("blueGreen") or {}
    stable, current = status.get("stableRS"), status.get("currentPodHash")
    active = blue_green.get("activeSelector") or stable
    preview = blue_green.get("previewSelector") if blue_green.get("activeSelector") else current
    return active, (preview if preview and preview != active else None)


def rollout_state(
    target: Target, rollout: Manifest, replicasets: list[Manifest], container: str | None = None
) -> RolloutState:
    spec, status = rollout.get("spec", {}), rollout.get("status", {})
    owned = owned_replicasets(rollout, replicasets)
    active, preview = colour_hashes(rollout)
    stable = _image_by_hash(rollout, owned, active, container)
    paused = bool(spec.get("paused") or status.get("pauseConditions"))
    phase = status.get("phase") or ("Paused" if paused else "Progressing")
    message = status.get("message", "")
    if status.get("abort"):
        phase = "Degraded"
    if not generation_observed(rollout):
        # The selectors and phase describe the previous spec: nothing about the new one is known
        # yet, and the old phase (Healthy, Paused) must not be trusted as this spec's.
        phase, message = "Progressing", "waiting for rollout spec update to be observed"
        preview = None
    return RolloutState(
        target=target,
        phase=phase,
        stable=stable if active else current_image(rollout, container),
        preview=_image_by_hash(rollout, owned, preview, container),
        revision=revision_of(rollout),
        paused=paused,
        message=message,
        active_hash=active,
        preview_hash=preview,
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

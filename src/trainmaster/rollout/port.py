"""The cluster port: where a release runs. Argo Rollouts (`adapters/kubernetes`) and the local
target (`adapters/local`) implement it; the train's deploy / verify / rollback go through it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

DIGEST_REF = re.compile(r"^(?P<repo>[^@\s]+)@sha256:(?P<hex>[0-9a-f]{64})$")


@dataclass(frozen=True)
class Target:
    """One rollout: a service in a namespace, for a stage."""

    stage: str
    namespace: str
    name: str


@dataclass(frozen=True)
class RolloutState:
    target: Target
    phase: str  # Healthy | Paused | Progressing | Degraded | Missing
    stable: str | None  # image reference serving traffic (active colour)
    preview: str | None  # image reference of the preview colour awaiting promotion
    revision: int
    paused: bool
    message: str = ""
    # The `rollouts-pod-template-hash` of each colour's pods: Argo Rollouts' ReplicaSet hash
    # (status.blueGreen.activeSelector / previewSelector), or the local target's per-release
    # hash (`release_hash`). Gates select one colour's series with it: an Argo pod is named
    # `<rollout>-<hash>-<suffix>`. None: no such colour (nothing deployed, no preview).
    active_hash: str | None = None
    preview_hash: str | None = None


class Cluster(Protocol):
    def status(self, target: Target) -> RolloutState: ...

    def deploy(self, target: Target, image: str) -> None:
        """Start a rollout of `image` (an immutable `repo@sha256:<hex>` reference)."""
        ...

    def promote(self, target: Target, *, full: bool = False) -> None: ...

    def abort(self, target: Target) -> None: ...

    def undo(self, target: Target, *, to_revision: int | None = None) -> None: ...

    def pin(self, target: Target, image: str) -> None: ...

    def close(self) -> None:
        """Release connections and processes this backend holds; safe to call twice."""
        ...


def is_digest_ref(image: str) -> bool:
    return DIGEST_REF.match(image) is not None


def release_hash(image: str, colour: str, namespace: str = "") -> str:
    """The local target's stand-in for a pod-template hash: 10 hex characters, stable for one
    release (digest) in one colour of one rollout's namespace; different for the two colours of
    the same digest, and for the same digest in two stages (whose series share a job)."""
    return hashlib.sha256(f"{namespace}\n{colour}\n{image}".encode()).hexdigest()[:10]

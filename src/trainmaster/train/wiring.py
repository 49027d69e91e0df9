"""The real backends for a train service, built from the policy and only when first needed.

`approve` never touches the cluster and `train status` never the forge, so each port is made
on first use: a command does not fail for want of a token or kubeconfig it does not need.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainmaster.config.model import Policy
from trainmaster.rollout.port import Cluster, RolloutState, Target
from trainmaster.store import Store
from trainmaster.train.service import TrainService

if TYPE_CHECKING:
    from trainmaster.forge import Forge
    from trainmaster.train.verification import Verifier


class LazyCluster:
    """A Cluster made by `factory` on the first call."""

    def __init__(self, factory: Callable[[], Cluster]) -> None:
        self._factory = factory
        self._cluster: Cluster | None = None

    def _get(self) -> Cluster:
        if self._cluster is None:
            self._cluster = self._factory()
        return self._cluster

    def status(self, target: Target) -> RolloutState:
        return self._get().status(target)

    def deploy(self, target: Target, image: str) -> None:
        self._get().deploy(target, image)

    def promote(self, target: Target, *, full: bool = False) -> None:
        self._get().promote(target, full=full)

    def abort(self, target: Target) -> None:
        self._get().abort(target)

    def undo(self, target: Target, *, to_revision: int | None = None) -> None:
        self._get().undo(target, to_revision=to_revision)

    def pin(self, target: Target, image: str) -> None:
        self._get().pin(target, image)


def build_service(
    policy: Policy,
    store: Store,
    repo_path: Path,
    *,
    actor: str,
    base_dir: Path,
    forge: bool = False,
    dry_run: bool = False,
    verifier: Verifier | None = None,
) -> TrainService:
    def make_cluster() -> Cluster:
        from trainmaster.rollout.backends import cluster_for

        return cluster_for(policy, base_dir=base_dir, shared=True)

    chosen: Forge | None = None
    if forge and policy.backends.forge != "none":
        from trainmaster.adapters.github import forge_for

        chosen = forge_for(policy, require_auth=not dry_run)
    return TrainService(
        policy,
        store,
        repo_path,
        forge=chosen,
        cluster=LazyCluster(make_cluster),
        verifier=verifier,
        actor=actor,
        base_dir=base_dir,
    )


def gates_verifier(policy: Policy, prometheus_url: str | None = None) -> Verifier:
    from trainmaster.gates.backends import metrics_for
    from trainmaster.train.verification import GatesVerifier

    metrics: Any = metrics_for(policy, prometheus_url=prometheus_url)
    return GatesVerifier(policy, metrics)

"""Which cluster backend a policy asks for, and the rollout target of a stage.

The gates and the train call these two functions; they never import an adapter themselves.
"""

from __future__ import annotations

from pathlib import Path

from trainmaster.config import Policy
from trainmaster.errors import UsageError
from trainmaster.rollout.port import Cluster, Target


def cluster_for(policy: Policy, *, base_dir: Path | None = None) -> Cluster:
    """The cluster backend of `policy.backends.cluster`: Argo Rollouts through the Kubernetes API
    (kubeconfig from `backends.kubeconfig`, else $KUBECONFIG / ~/.kube/config), or the local
    target, one per process, owning its proxy and children (`base_dir` holds `.trainmaster/`)."""
    if policy.backends.cluster == "local":
        from trainmaster.adapters.local.registry import local_cluster

        return local_cluster(policy, base_dir or Path.cwd())
    from trainmaster.adapters.kubernetes.rollouts import ArgoRolloutsCluster

    return ArgoRolloutsCluster.from_policy(policy, base_dir)


def target_for(policy: Policy, stage: str, *, pr: int | None = None) -> Target:
    """The rollout of `stage`: its namespace (with `{number}` filled from `pr` for previews)
    and its service name."""
    spec = policy.stage(stage)
    namespace = spec.namespace
    if "{number}" in namespace:
        if pr is None:
            raise UsageError(f"stage {stage!r} is per pull request: give --pr N")
        namespace = namespace.replace("{number}", str(pr))
    return Target(stage=stage, namespace=namespace, name=spec.service)

"""Which cluster backend a policy asks for, and the rollout target of a stage.

The gates and the train call these two functions; they never import an adapter themselves.
"""

from __future__ import annotations

from pathlib import Path

from trainmaster.config import Policy
from trainmaster.errors import UsageError
from trainmaster.rollout.port import Cluster, Target


def cluster_for(policy: Policy, *, base_dir: Path | None = None, shared: bool = False) -> Cluster:
    """The cluster backend of `policy.backends.cluster`: Argo Rollouts through the Kubernetes API
    (kubeconfig from `backends.kubeconfig`, else $KUBECONFIG / ~/.kube/config), or the local
    target (`base_dir` holds `.trainmaster/`).

    On the local backend: the running supervisor of `base_dir` (`trainmaster local serve`) when
    it answers; else the local cluster this process owns, created on first use (the demo, library
    use). `shared=True` is for a caller that exits before its releases should (a CLI command): it
    refuses to start releases in-process, which would die with it, unless this process already
    owns a local cluster for `base_dir`."""
    if policy.backends.cluster == "local":
        return _local(policy, (base_dir or Path.cwd()).resolve(), shared)
    from trainmaster.adapters.kubernetes.rollouts import ArgoRolloutsCluster

    return ArgoRolloutsCluster.from_policy(policy, base_dir)


def _local(policy: Policy, base_dir: Path, shared: bool) -> Cluster:
    from trainmaster.adapters.local.registry import local_cluster, owned
    from trainmaster.adapters.local.supervisor import running

    supervisor = running(base_dir)
    if supervisor is not None:
        from trainmaster.adapters.local.client import LocalClient
        from trainmaster.adapters.local.supervisor import policy_digest

        if supervisor.policy_digest not in ("", policy_digest(policy)):
            raise UsageError(
                f"the local target for {base_dir} runs another version of the policy: restart "
                "it (`trainmaster local stop`, then `trainmaster local serve --detach`)"
            )
        return LocalClient(supervisor)
    if shared and owned(base_dir) is None:
        raise UsageError(
            f"no local target is running for {base_dir}: "
            "start it with `trainmaster local serve --detach`"
        )
    return local_cluster(policy, base_dir)


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

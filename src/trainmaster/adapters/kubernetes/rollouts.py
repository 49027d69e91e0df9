"""The cluster port on Argo Rollouts: plans from a fresh read, applied as the kubectl plugin does.

Status patches go to the status subresource first and fall back to the main resource on 404 (the
plugin's behaviour for controllers without the subresource). Updates are optimistic on
resourceVersion: a 409 is retried with a fresh read and a fresh plan, 5 attempts in all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from trainmaster.adapters.kubernetes.api import Conflict, Kube, Manifest, NotFound
from trainmaster.errors import UsageError
from trainmaster.rollout import argo
from trainmaster.rollout.plan import Operation, Patch, Plan
from trainmaster.rollout.planned import PlannedCluster
from trainmaster.rollout.port import RolloutState, Target
from trainmaster.rollout.preview import MANAGED_BY, MANAGED_BY_LABEL, PreviewEnv

if TYPE_CHECKING:
    from trainmaster.config import Policy

CONFLICT_ATTEMPTS = 5  # kubectl-argo-rollouts `set image`: maxAttempts


class ArgoRolloutsCluster(PlannedCluster):
    backend = "argo-rollouts"

    def __init__(
        self,
        kube: Kube,
        *,
        watch: dict[str, timedelta] | None = None,
        containers: dict[str, str] | None = None,
    ) -> None:
        self.kube = kube
        self.watch = watch or {}
        self.containers = containers or {}  # stage -> the policy's container name
        self.observe_timeout = 10.0  # seconds to wait for the controller to see a new spec

    @classmethod
    def from_kubeconfig(cls, kubeconfig: str | None) -> ArgoRolloutsCluster:
        return cls(Kube(kubeconfig))

    @classmethod
    def from_policy(cls, policy: Policy, base_dir: Path | None = None) -> ArgoRolloutsCluster:
        """A relative `backends.kubeconfig` is relative to the policy file's directory."""
        watch = {n: s.watch.duration for n, s in policy.stages.items() if s.watch is not None}
        kubeconfig = policy.backends.kubeconfig
        if kubeconfig and base_dir is not None:
            kubeconfig = str(base_dir / Path(kubeconfig).expanduser())
        containers = {n: s.container for n, s in policy.stages.items() if s.container}
        return cls(Kube(kubeconfig), watch=watch, containers=containers)

    # --- reads -----------------------------------------------------------------------------

    def read(self, target: Target) -> Manifest:
        try:
            return self.kube.get_rollout(target.namespace, target.name)
        except NotFound:
            try:
                self.kube.get_namespace(target.namespace)
            except NotFound:
                raise UsageError(f"namespace {target.namespace!r} not found") from None
            raise UsageError(
                f"rollout {target.name!r} not found in namespace {target.namespace!r}"
            ) from None

    def replicasets(self, rollout: Manifest) -> list[Manifest]:
        selector = rollout.get("spec", {}).get("selector", {}).get("matchLabels") or {}
        namespace = rollout["metadata"]["namespace"]
        return argo.owned_replicasets(rollout, self.kube.list_replicasets(namespace, selector))

    def status(self, target: Target) -> RolloutState:
        rollout = self.read(target)
        container = self.containers.get(target.stage)
        return argo.rollout_state(target, rollout, self.replicasets(rollout), container)

    # --- plans -----------------------------------------------------------------------------

    def plan(self, target: Target, op: Operation) -> Plan:
        rollout = self.read(target)
        extra: dict[str, object] = {}
        patches, summary = self._patches(target, rollout, op, extra)
        warnings = argo.strategy_warnings(
            rollout, prod=target.stage == "prod", watch=self.watch.get(target.stage)
        )
        return Plan(
            namespace=target.namespace,
            name=target.name,
            operation=op,
            patches=patches,
            summary=summary,
            warnings=tuple(warnings),
            resource_version=rollout.get("metadata", {}).get("resourceVersion"),
            extra=extra,
        )

    def _patches(
        self, target: Target, rollout: Manifest, op: Operation, extra: dict[str, object]
    ) -> tuple[tuple[Patch, ...], str]:
        if op.verb in ("promote", "abort", "retry", "restart"):
            return self._control_patches(rollout, op)
        return self._template_patches(target, rollout, op, extra)

    def _control_patches(self, rollout: Manifest, op: Operation) -> tuple[tuple[Patch, ...], str]:
        """Verbs that steer the controller (status fields, spec.paused, spec.restartAt)."""
        if op.verb == "promote":
            summary = "fully promote" if op.full else "promote"
            return argo.promote_patches(rollout, full=op.full), summary
        if op.verb == "abort":
            return argo.abort_patches(), "abort: traffic back to the stable colour"
        if op.verb == "retry":
            patches = argo.retry_patches(rollout)
            return (
                patches,
                "retry the aborted update" if patches else "not aborted: nothing to retry",
            )
        if op.verb == "restart":
            at = op.at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            return (argo.restart_patch(at),), f"restart the pods at {at}"
        raise UsageError(f"unknown rollout operation {op.verb!r}")

    def _template_patches(
        self, target: Target, rollout: Manifest, op: Operation, extra: dict[str, object]
    ) -> tuple[tuple[Patch, ...], str]:
        """Verbs that change the pod template: on the Rollout, or on its workloadRef."""
        workload = self._workload(rollout)
        if workload is not None:
            extra["workload"] = workload["metadata"]["name"]
        if op.verb == "undo":
            patch = argo.undo_patch(rollout, self.replicasets(rollout), op.to_revision, workload)
            summary = f"undo to {patch.description}" if patch else "already at that revision"
            return ((patch,) if patch else ()), summary
        container = op.container or self.containers.get(target.stage)
        updated, patch = argo.set_image(rollout, op.image or "", container, workload)
        extra["object"] = updated
        if not patch.body:
            return (), f"already at {op.image}"
        return (patch,), f"set image {op.image}"

    def _workload(self, rollout: Manifest) -> Manifest | None:
        name = argo.workload_name(rollout)
        if name is None:
            return None
        namespace = rollout["metadata"]["namespace"]
        try:
            return self.kube.get_deployment(namespace, name)
        except NotFound:
            raise UsageError(
                f"the rollout's workloadRef names deployment {name!r}, which is not in "
                f"namespace {namespace!r}"
            ) from None

    def apply(self, target: Target, plan: Plan) -> Plan:
        """Send the plan; on a 409 read again, plan again and send again: `CONFLICT_ATTEMPTS` in
        all, as the plugin's `set image` (maxAttempts = 5)."""
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                self._send(plan)
                break
            except Conflict:
                if attempt == CONFLICT_ATTEMPTS:
                    raise
                plan = self.plan(target, plan.operation)
        if plan.operation.verb in ("deploy", "pin", "undo"):
            self._wait_observed(target)
        return plan

    def _wait_observed(self, target: Target) -> None:
        """Wait until the controller has seen the new spec, so a following promote reads the
        status of this revision, not the last one."""
        import time

        deadline = time.monotonic() + self.observe_timeout
        while time.monotonic() < deadline:
            if argo.generation_observed(self.read(target)):
                return
            time.sleep(0.2)

    def _send(self, plan: Plan) -> None:
        for patch in plan.patches:
            if patch.kind == "Deployment":
                self._send_workload(plan, patch)
                continue
            if patch.type == "update":
                obj = plan.extra["object"]
                assert isinstance(obj, dict)
                self.kube.replace_rollout(obj)
                continue
            kind: Literal["merge", "json"] = "merge" if patch.type == "merge" else "json"
            try:
                self.kube.patch_rollout(
                    plan.namespace, plan.name, patch.body, kind, patch.subresource
                )
            except NotFound:
                if patch.fallback is None:
                    raise
                # The plugin: without the status subresource the unified patch is sent instead
                # of the status patch and the spec patch that would follow it.
                self.kube.patch_rollout(plan.namespace, plan.name, patch.fallback.body, "merge")
                return

    def _send_workload(self, plan: Plan, patch: Patch) -> None:
        name = str(plan.extra["workload"])
        if patch.type == "update":
            obj = plan.extra["object"]
            assert isinstance(obj, dict)
            self.kube.replace_deployment(obj)
        else:
            self.kube.patch_deployment(plan.namespace, name, patch.body)

    # --- the Cluster port: deploy and pin take digests only; undo and pin go live -----------

    def deploy(self, target: Target, image: str) -> None:
        self.run(target, Operation("deploy", image=argo.require_digest(image)))

    def undo(self, target: Target, *, to_revision: int | None = None) -> None:
        """Roll back and make it live: on a blue-green rollout without auto-promotion the restored
        template would otherwise wait, paused, as a preview."""
        self.run(target, Operation("undo", to_revision=to_revision))
        self.run(target, Operation("promote", full=True))

    def pin(self, target: Target, image: str) -> None:
        """Pin to a known-good digest and make it live (a pin is a rollback)."""
        self.run(target, Operation("pin", image=argo.require_digest(image)))
        self.run(target, Operation("promote", full=True))

    # --- preview namespaces ----------------------------------------------------------------

    def previews(self) -> list[PreviewEnv]:
        found = self.kube.list_namespaces({MANAGED_BY_LABEL: MANAGED_BY})
        # Deleting a namespace is asynchronous; one already terminating is as good as gone.
        found = [ns for ns in found if (ns.get("status") or {}).get("phase") != "Terminating"]
        return [
            PreviewEnv(
                namespace=ns["metadata"]["name"],
                labels=ns["metadata"].get("labels") or {},
                annotations=ns["metadata"].get("annotations") or {},
            )
            for ns in found
        ]

    def preview_up(self, manifest: Manifest) -> str:
        """Create the namespace, or merge our labels and expiry into an existing one."""
        name = manifest["metadata"]["name"]
        try:
            existing = self.kube.get_namespace(name)
        except NotFound:
            self.kube.create_namespace(manifest)
            return "created"
        labels = existing["metadata"].get("labels") or {}
        if labels.get(MANAGED_BY_LABEL) != MANAGED_BY:
            raise UsageError(f"namespace {name!r} exists and is not managed by trainmaster")
        self.kube.patch_namespace(name, {"metadata": manifest["metadata"]})
        return "updated"

    def preview_down(self, namespace: str) -> bool:
        """Delete a namespace trainmaster manages; False when it is already gone."""
        try:
            existing = self.kube.get_namespace(namespace)
        except NotFound:
            return False
        labels = existing["metadata"].get("labels") or {}
        if labels.get(MANAGED_BY_LABEL) != MANAGED_BY:
            raise UsageError(f"namespace {namespace!r} is not managed by trainmaster")
        if (existing.get("status") or {}).get("phase") == "Terminating":
            return False
        try:
            self.kube.delete_namespace(namespace)
        except NotFound:
            return False
        return True

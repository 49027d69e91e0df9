"""The rollout use cases: act on a rollout (deploy, promote, abort, undo, pin), read its status,
and preview environments up, down and swept.

Each takes a frozen input naming the actor and the reason, asks the policy before the first
effect (dry runs send nothing and are not asked), plans from a fresh read, applies, audits each
applied operation, and returns a frozen result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from trainmaster.errors import UsageError
from trainmaster.rollout.plan import Operation, Plan
from trainmaster.rollout.port import Cluster, RolloutState, Target

if TYPE_CHECKING:
    from trainmaster.config.model import Policy
    from trainmaster.ports import Backends
    from trainmaster.rollout.preview import PreviewEnv
    from trainmaster.rollout.service import Outcome

GO_LIVE_AFTER = frozenset({"pin", "undo"})  # a rollback: live at once, not a paused preview


class RolloutBackend(Cluster, Protocol):
    """What both cluster backends offer beyond the Cluster port: plans and preview namespaces."""

    backend: str

    def plan(self, target: Target, op: Operation) -> Plan: ...

    def apply(self, target: Target, plan: Plan) -> Plan: ...

    def previews(self) -> list[PreviewEnv]: ...

    def preview_up(self, manifest: dict[str, Any], image: str | None = None) -> str: ...

    def preview_down(self, namespace: str) -> bool: ...


@dataclass(frozen=True)
class Where:
    """Which rollout: a stage (its namespace and service), or a namespace (and rollout name)."""

    stage: str | None = None
    namespace: str | None = None
    rollout: str | None = None

    def target(self, policy: Policy) -> Target:
        from trainmaster.rollout.backends import target_for

        if self.stage is not None:
            base = target_for(policy, self.stage)
            return Target(self.stage, self.namespace or base.namespace, self.rollout or base.name)
        if self.namespace is None:
            raise UsageError("give --ns NAMESPACE or --stage STAGE")
        found = next(
            (s for s, spec in policy.stages.items() if spec.namespace == self.namespace), None
        )
        service = policy.stages[found].service if found else policy.project.name
        return Target(found or self.namespace, self.namespace, self.rollout or service)


@dataclass(frozen=True)
class RolloutInput:
    actor: str
    operation: Operation
    where: Where
    reason: str = ""
    dry_run: bool = False
    go_live: bool = True  # pin / undo: make the restored colour live at once


@dataclass(frozen=True)
class RolloutResult:
    """Each operation run (the verb, then for a live pin or undo the full promote)."""

    steps: tuple[Outcome, ...]
    dry_run: bool
    then_promote: bool = False  # a dry run of a live pin / undo: a promote would follow

    def as_json(self) -> list[dict[str, Any]]:
        return [step_json(s, self.dry_run) for s in self.steps]


def step_json(step: Outcome, dry_run: bool) -> dict[str, Any]:
    return {**step.plan.as_dict(), "applied": step.applied, "dry_run": dry_run}


def act(backends: Backends, request: RolloutInput) -> RolloutResult:
    """Run one rollout operation; a live pin or undo is followed by a full promote."""
    from trainmaster.acting import ask, recorder
    from trainmaster.rollout.service import execute

    op, dry_run = request.operation, request.dry_run
    target = request.where.target(backends.policy)
    if not dry_run:
        where = f"{target.namespace}/{target.name}"
        ask(
            backends, request.actor, f"rollout.{op.verb}", where, request.reason, stage=target.stage
        )
    host = backend_of(backends)
    record = recorder(backends, request.actor, request.reason)
    first = execute(host, target, op, dry_run=dry_run, audit=record)
    steps, live = [first], request.go_live and op.verb in GO_LIVE_AFTER
    if live and first.applied:
        live_now = Operation("promote", full=True)
        steps.append(execute(host, target, live_now, dry_run=dry_run, audit=record))
    then = live and dry_run and not first.plan.noop
    return RolloutResult(tuple(steps), dry_run, then_promote=then)


def status(backends: Backends, where: Where) -> RolloutState:
    """The rollout's phase, stable and preview images, revision. Changes nothing."""
    return backends.cluster.status(where.target(backends.policy))


def backend_of(backends: Backends) -> RolloutBackend:
    """Both cluster backends (Argo Rollouts, the local target) plan and host previews."""
    return cast(RolloutBackend, backends.built_cluster())

"""Running a rollout operation: plan, print or apply, audit. Backend-neutral."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from trainmaster.config import Policy
from trainmaster.rollout.plan import Operation, Plan
from trainmaster.rollout.port import Target


class Planner(Protocol):
    """What both backends offer besides the Cluster port: a plan, then its application."""

    backend: str

    def plan(self, target: Target, op: Operation) -> Plan: ...

    def apply(self, target: Target, plan: Plan) -> Plan: ...


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    applied: bool


AuditSink = Callable[[str, str, dict[str, Any]], None]  # (action, target, payload)


def policy_warnings(policy: Policy, stage: str) -> list[str]:
    """The policy's own promise of an instant rollback: the watch window must not outlast the time
    the old colour is kept (stages.<stage>.scale_down_delay)."""
    spec = policy.stages.get(stage)
    if spec is None:
        return []
    warnings = []
    if stage == "prod" and spec.strategy != "blue-green":
        warnings.append("prod is not blue-green: undo will not be instant")
    if stage == "prod" and spec.auto_promotion:
        warnings.append("prod has auto_promotion on: promotion is not manual")
    if spec.watch is not None and spec.watch.duration > spec.scale_down_delay:
        warnings.append(
            f"stages.{stage}.watch.for ({spec.watch.duration}) outlasts scale_down_delay "
            f"({spec.scale_down_delay}): a late rollback is not instant"
        )
    return warnings


def execute(
    cluster: Planner, target: Target, op: Operation, *, dry_run: bool, audit: AuditSink
) -> Outcome:
    """Plan from a fresh read; with `dry_run` stop there. Otherwise apply (idempotent: an empty
    plan sends nothing) and audit what was sent."""
    plan = cluster.plan(target, op)
    if dry_run or plan.noop:
        return Outcome(plan, applied=False)
    applied = cluster.apply(target, plan)
    payload = {"backend": cluster.backend, "stage": target.stage, **applied.as_dict()}
    audit(op.action, f"{target.namespace}/{target.name}", payload)
    return Outcome(applied, applied=True)

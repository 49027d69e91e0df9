"""The rollback a failing watch performs, planned from the rollout's state: purely computational.

After promotion the previous revision comes back (`undo`); while a blue/green preview is still
paused the preview is dropped (`abort`), leaving the stable colour serving."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from trainmaster.gates.result import GateReport
from trainmaster.rollout.port import RolloutState, Target


@dataclass(frozen=True)
class RollbackPlan:
    stage: str
    target: Target
    action: Literal["undo", "abort"]
    from_image: str | None  # what was serving (undo) or previewed (abort) when planned
    reason: str
    signals: tuple[str, ...]

    def describe(self) -> str:
        where = f"{self.target.namespace}/{self.target.name}"
        what = "undo to the previous revision" if self.action == "undo" else "abort the preview"
        return f"{what} of {where} ({self.stage}): {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "target": {"namespace": self.target.namespace, "name": self.target.name},
            "action": self.action,
            "from_image": self.from_image,
            "reason": self.reason,
            "signals": list(self.signals),
        }


def plan_rollback(stage: str, state: RolloutState, report: GateReport) -> RollbackPlan:
    failing = report.failing()
    reason = "; ".join(s.reason for s in failing) or "a rollback criterion failed"
    names = tuple(s.name for s in failing)
    if state.paused and state.preview:
        return RollbackPlan(stage, state.target, "abort", state.preview, reason, names)
    return RollbackPlan(stage, state.target, "undo", state.stable, reason, names)


def already_applied(plan: RollbackPlan, state: RolloutState) -> bool:
    """After a restart mid-rollback: did the cluster call already happen? (An undo sent twice
    would go back two revisions.)"""
    if plan.action == "undo":
        return state.stable != plan.from_image
    return state.preview != plan.from_image or not state.paused or state.phase == "Degraded"


def plan_from_dict(data: dict[str, Any], target: Target) -> RollbackPlan:
    return RollbackPlan(
        stage=data["stage"],
        target=target,
        action=data["action"],
        from_image=data.get("from_image"),
        reason=data.get("reason", ""),
        signals=tuple(data.get("signals", ())),
    )

"""The Cluster port's verbs for a backend that plans and applies (every backend here does).

A backend implements `plan` and `apply`; each verb is the plan of one `Operation`, applied. The
Argo Rollouts backend overrides the verbs that must also go live (undo, pin).
"""

from __future__ import annotations

from trainmaster.rollout.plan import Operation, Plan
from trainmaster.rollout.port import Target


class PlannedCluster:
    def plan(self, target: Target, op: Operation) -> Plan:
        raise NotImplementedError

    def apply(self, target: Target, plan: Plan) -> Plan:
        raise NotImplementedError

    def run(self, target: Target, op: Operation) -> Plan:
        return self.apply(target, self.plan(target, op))

    def deploy(self, target: Target, image: str) -> None:
        self.run(target, Operation("deploy", image=image))

    def promote(self, target: Target, *, full: bool = False) -> None:
        self.run(target, Operation("promote", full=full))

    def abort(self, target: Target) -> None:
        self.run(target, Operation("abort"))

    def undo(self, target: Target, *, to_revision: int | None = None) -> None:
        self.run(target, Operation("undo", to_revision=to_revision))

    def pin(self, target: Target, image: str) -> None:
        self.run(target, Operation("pin", image=image))

    def close(self) -> None:
        """Nothing held by default; a backend with connections or processes overrides it."""

    def retry(self, target: Target) -> None:
        """Resume an aborted update (Argo: status.abort false)."""
        self.run(target, Operation("retry"))

    def restart(self, target: Target, *, at: str | None = None) -> None:
        """Restart the release's pods (Argo: spec.restartAt), the release unchanged."""
        self.run(target, Operation("restart", at=at))

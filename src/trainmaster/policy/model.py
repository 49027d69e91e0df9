"""The request and the decision: pure values, valid when built."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Actions that need a reason-for-access wherever they happen. `rollout.deploy` and
# `rollout.promote` are risky only on a production stage (authorization.production_stages).
RISKY_ACTIONS = frozenset(
    {
        "rollback",
        "rollout.pin",
        "rollout.abort",
        "rollout.undo",
        "governance.apply",
        "secrets.access",
        "gate.override",
        "train.abort",
        "promote",
        "approve",
        "jobs.manage",
    }
)
PRODUCTION_RISKY_ACTIONS = frozenset(
    {"rollout.deploy", "rollout.promote", "rollout.retry", "rollout.restart"}
)
# Steps of a train anyone may take until a role lists them in its `may` (then only its members).
OPEN_ACTIONS = frozenset({"train.artifact", "train.deploy", "train.verify", "gate.run"})


@dataclass(frozen=True)
class AccessRequest:
    """Someone wants to take an action on a target, for a reason."""

    actor: str
    action: str
    target: str
    reason: str = ""
    stage: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.action:
            raise ValueError("an access request names its action")

    def as_input(self) -> dict[str, Any]:
        """The Rego `input` document."""
        return {
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "reason": self.reason,
            "stage": self.stage,
            "attributes": dict(self.attributes),
        }


@dataclass(frozen=True)
class Decision:
    """Allowed, or refused with every reason (sorted, so the line is stable)."""

    request: AccessRequest
    reasons: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.reasons

    def summary(self) -> str:
        """One line for the user."""
        r = self.request
        where = f"{r.target}" + (f" on {r.stage}" if r.stage else "")
        if self.allowed:
            return f"{r.actor} may {r.action} {where}"
        return f"{r.actor} may not {r.action} {where}: " + "; ".join(self.reasons)

    def as_json(self) -> dict[str, Any]:
        return {"allow": self.allowed, "reasons": list(self.reasons), **self.request.as_input()}

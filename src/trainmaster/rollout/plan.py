"""What a rollout command will send: operations, patches and plans (pure values).

A `Plan` is built from a fresh read, printed by `--dry-run` exactly as it will be sent, and then
applied by the backend that built it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Verb = Literal["deploy", "promote", "abort", "undo", "pin", "retry", "restart"]
PatchType = Literal["merge", "json", "update", "local"]

CONTENT_TYPES: dict[str, str] = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "update": "application/json",
}


@dataclass(frozen=True)
class Operation:
    verb: Verb
    image: str | None = None
    full: bool = False
    to_revision: int | None = None
    container: str | None = None
    at: str | None = None  # restart: when the pods restart (RFC 3339, UTC); None: now

    @property
    def action(self) -> str:
        """The audit action name (also the policy's action for roles)."""
        return {"undo": "rollback", "promote": "promote"}.get(self.verb, f"rollout.{self.verb}")


@dataclass(frozen=True)
class Patch:
    """One request. `fallback` is sent instead when the status subresource does not exist (404),
    as the kubectl plugin does for Rollouts older than v0.10."""

    type: PatchType
    body: Any
    subresource: str | None = None
    fallback: Patch | None = None
    description: str = ""
    kind: str = "Rollout"  # or the Deployment a workloadRef names (undo, set image act there)

    def render(self) -> str:
        body = json.dumps(self.body, sort_keys=True)
        if self.type == "update":
            # `set image` sends the whole object back (PUT, guarded by its resourceVersion);
            # what changes in it is shown as the equivalent JSON patch.
            return f"PUT (application/json) the whole {self.kind}, changing {body}"
        if self.type == "local":
            return f"local {body}"
        where = f"/{self.subresource}" if self.subresource else ""
        of = "" if self.kind == "Rollout" else f" the {self.kind}"
        return f"PATCH{of}{where} ({CONTENT_TYPES[self.type]}) {body}"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "body": self.body}
        if self.subresource:
            out["subresource"] = self.subresource
        if self.fallback is not None:
            out["fallback"] = self.fallback.as_dict()
        if self.description:
            out["description"] = self.description
        if self.kind != "Rollout":
            out["kind"] = self.kind
        return out


@dataclass(frozen=True)
class Plan:
    namespace: str
    name: str
    operation: Operation
    patches: tuple[Patch, ...] = ()
    summary: str = ""
    warnings: tuple[str, ...] = ()
    resource_version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def noop(self) -> bool:
        return not self.patches

    def as_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "rollout": self.name,
            "verb": self.operation.verb,
            "summary": self.summary,
            "patches": [p.as_dict() for p in self.patches],
            "warnings": list(self.warnings),
        }

"""The governance vocabulary: what a repo should look like, what it looks like, what to do.

Payloads are GitHub's REST JSON; `Json` marks where a body crosses into the adapter unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Json = dict[str, Any]
Op = Literal["create", "update", "delete"]
Method = Literal["POST", "PUT", "PATCH", "DELETE"]


@dataclass(frozen=True)
class Lookups:
    """Names the policy uses that GitHub knows only by id."""

    teams: frozenset[str] = frozenset()  # slugs, looked up in each repo's organization
    users: frozenset[str] = frozenset()  # logins
    apps: frozenset[str] = frozenset()  # app slugs (bypass actors)


@dataclass(frozen=True)
class Resolved:
    """Ids for one organization's names; a name missing here is unknown to GitHub."""

    teams: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    apps: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RulesetSpec:
    name: str
    body: Json  # the POST/PUT body


@dataclass(frozen=True)
class EnvironmentSpec:
    name: str
    body: Json  # the PUT body
    branch_policies: frozenset[tuple[str, str]]  # (name pattern, "branch" | "tag")


@dataclass(frozen=True)
class ProtectionSpec:
    """Classic branch protection of one branch (servers without rulesets)."""

    branch: str
    body: Json  # PUT .../protection
    checks: list[Json] | None  # [{context, app_id}] pinned through PATCH; None: not pinned
    signatures: bool


@dataclass(frozen=True)
class Desired:
    repo: str
    rulesets: list[RulesetSpec]
    environments: list[EnvironmentSpec]
    protection: ProtectionSpec | None = None
    retired_rulesets: frozenset[str] = frozenset()  # trainmaster's own, no longer wanted


@dataclass(frozen=True)
class ActualRuleset:
    id: int
    body: Json  # GET /rulesets/{id}


@dataclass(frozen=True)
class ActualEnvironment:
    body: Json  # one item of GET /environments
    branch_policies: dict[tuple[str, str], int]  # (name, type) -> policy id


@dataclass(frozen=True)
class Actual:
    repo: str
    rulesets: dict[str, ActualRuleset]  # by name
    environments: dict[str, ActualEnvironment]  # by name
    protection: Json | None = None  # GET .../protection, None when unprotected


@dataclass(frozen=True)
class Action:
    op: Op
    resource: str  # e.g. "ruleset:trainmaster: release tags", "environment:prod"
    method: Method
    path: str
    body: Json | None
    changes: tuple[str, ...] = ()  # the fields that differ, for people

    def as_json(self) -> Json:
        return {
            "op": self.op,
            "resource": self.resource,
            "method": self.method,
            "path": self.path,
            "body": self.body,
        }


@dataclass(frozen=True)
class RepoPlan:
    repo: str
    actions: list[Action]
    error: str | None = None
    error_kind: Literal["policy", "external"] | None = None


@dataclass(frozen=True)
class Outcome:
    """What `apply` did to one repo: the actions that landed, the one that failed, the rest."""

    repo: str
    landed: list[Action]
    failed: Action | None = None
    error: str | None = None
    skipped: list[Action] = field(default_factory=list)

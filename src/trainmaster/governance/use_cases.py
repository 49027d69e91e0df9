"""The governance use cases: plan, drift and apply GitHub protections from the policy.

`plan_governance` reads (every id resolved, every repository read, no write, no one asked);
`apply_governance` asks the policy (`governance.apply`, a risky action: a reason is required)
right before the first write, then writes only the diff, one change at a time, each audited as
it lands. Between the two a front door may show the plan and ask for confirmation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trainmaster.errors import CheckFailed, TrainmasterError

if TYPE_CHECKING:
    from trainmaster.config.model import Policy
    from trainmaster.governance.model import Action, Outcome, RepoPlan
    from trainmaster.ports import Backends


@dataclass(frozen=True)
class Selection:
    """Which repositories: named ones, else the policy's list plus an organization's."""

    repos: tuple[str, ...] = ()
    org: str | None = None  # every repository of this organization (with include/exclude)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    api_url: str | None = None  # GitHub Enterprise Server
    concurrency: int = 8  # parallel reads

    def policy(self, policy: Policy) -> Policy:
        if not self.org:
            return policy
        from trainmaster.config.model import OrgSelection

        chosen = OrgSelection(
            org=self.org, include=list(self.include) or ["*"], exclude=list(self.exclude)
        )
        github = policy.github.model_copy(update={"org_repos": chosen})
        return policy.model_copy(update={"github": github})

    def target(self, policy: Policy) -> str:
        """What an apply acts on, for the policy and the audit record."""
        if self.org:
            return f"github:{self.org}"
        return "github:" + ",".join(self.repos or tuple(policy.repos) or ("-",))


@dataclass(frozen=True)
class GovernancePlan:
    plans: tuple[RepoPlan, ...]
    api_url: str
    selection: Selection = Selection()

    @property
    def pending(self) -> int:
        return sum(len(p.actions) for p in self.plans)

    @property
    def drifted(self) -> tuple[str, ...]:
        return tuple(p.repo for p in self.plans if p.actions)

    def error(self) -> TrainmasterError | None:
        """External (exit 4) before policy (exit 2) errors; None when every repo was read."""
        from trainmaster.governance.service import exit_error

        return exit_error(list(self.plans))

    def drift_error(self) -> TrainmasterError | None:
        """What `drift` exits with: a read error, else exit 1 when anything differs."""
        if (error := self.error()) is not None:
            return error
        if self.drifted:
            return CheckFailed(f"drift in {len(self.drifted)} of {len(self.plans)} repositories")
        return None


@dataclass(frozen=True)
class ApplyInput:
    actor: str
    reason: str


@dataclass(frozen=True)
class ApplyResult:
    outcomes: tuple[Outcome, ...]
    plan: GovernancePlan

    def error(self) -> TrainmasterError | None:
        from trainmaster.governance.service import exit_error

        return exit_error(list(self.plan.plans), list(self.outcomes))


def plan_governance(backends: Backends, selection: Selection) -> GovernancePlan:
    """What `apply` would change on GitHub; reads only."""
    from trainmaster.governance import service

    policy = selection.policy(backends.policy)
    api = backends.governance(policy, selection.api_url)
    chosen = service.select_repos(policy, list(selection.repos), api.org_repos)
    plans = service.plan(policy, api, chosen, concurrency=selection.concurrency)
    api_url = (selection.api_url or policy.github.api_url).rstrip("/")
    return GovernancePlan(tuple(plans), api_url, selection)


def drift_governance(backends: Backends, selection: Selection, actor: str) -> GovernancePlan:
    """The plan, and when GitHub differs from the policy, a `governance.drift` audit event (with
    notify targets only: that event is what notifies; the same drift is one event)."""
    plan = plan_governance(backends, selection)
    if plan.drifted and plan.error() is None:
        from trainmaster.notify.wiring import record_drift  # notify: drift.detected (issue 20)

        found = [(p.repo, [a.as_json() for a in p.actions]) for p in plan.plans if p.actions]
        record_drift(backends.policy, lambda: backends.store, actor, found)
    return plan


def apply_governance(
    backends: Backends,
    request: ApplyInput,
    plan: GovernancePlan,
    on_write: Callable[[str, Action], None] | None = None,
) -> ApplyResult:
    """Make GitHub match `plan` (from `plan_governance`): only the diff, each write audited as
    `governance.apply` the moment it lands (then `on_write` is told)."""
    from trainmaster.acting import ask, recorder
    from trainmaster.governance import service

    if plan.pending == 0:
        return ApplyResult((), plan)
    selection = plan.selection
    policy, target = selection.policy(backends.policy), selection.target(backends.policy)
    ask(backends, request.actor, "governance.apply", target, request.reason)
    record = recorder(backends, request.actor, request.reason)

    def landed(repo: str, action: Action) -> None:
        payload = {**action.as_json(), "changes": list(action.changes)}
        record("governance.apply", f"github:{repo}", payload)
        if on_write is not None:
            on_write(repo, action)

    api = backends.governance(policy, selection.api_url)
    return ApplyResult(tuple(service.apply(list(plan.plans), api, landed)), plan)

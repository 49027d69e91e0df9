"""The authorization use cases: explain a decision (`authz check`) and run the policy's Rego
unit tests (`authz test`). Both change nothing and record nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainmaster.policy.model import Decision
    from trainmaster.policy.testing import TestResult
    from trainmaster.ports import Backends


@dataclass(frozen=True)
class AccessCheck:
    actor: str
    action: str
    target: str = "-"
    reason: str = ""
    stage: str | None = None
    train: str | None = None  # judge by this train's attributes (its author, its kind)


def explain(backends: Backends, request: AccessCheck) -> Decision:
    """Whether `actor` may take `action`, with every reason when not (UsageError for an action
    the policy does not know)."""
    from trainmaster.config.model import ACTIONS
    from trainmaster.errors import UsageError
    from trainmaster.policy.model import AccessRequest

    if request.action not in ACTIONS:
        known = ", ".join(sorted(ACTIONS))
        raise UsageError(f"unknown action {request.action!r}; known: {known}")
    attributes = {}
    if request.train is not None:
        from trainmaster.train.queries import train_attributes

        with backends.store.transaction() as session:
            attributes = train_attributes(session, request.train)
    access = AccessRequest(
        request.actor, request.action, request.target, request.reason, request.stage, attributes
    )
    return backends.authorizer.decide(access)


def rego_tests(backends: Backends) -> tuple[TestResult, ...]:
    """The built-in bundle's and the policy's own `test_*` rules, run in a child process."""
    from trainmaster.policy.data import policy_data
    from trainmaster.policy.testing import run_isolated
    from trainmaster.policy.wiring import test_modules

    modules = test_modules(backends.policy, backends.base_dir)
    return tuple(run_isolated(modules, policy_data(backends.policy)))

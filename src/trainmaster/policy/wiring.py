"""The policy's authorizer: the built-in bundle, its own modules, its roles and settings."""

from __future__ import annotations

from pathlib import Path

from trainmaster.config.model import Policy
from trainmaster.policy.data import policy_data
from trainmaster.policy.port import Authorizer
from trainmaster.policy.rego import Module, builtin_modules, policy_modules


def decision_modules(policy: Policy, base_dir: Path) -> list[Module]:
    """What decides: the bundle and the policy's modules, without their unit tests."""
    own = policy_modules(policy.authorization.modules, base_dir)
    return builtin_modules() + [m for m in own if not m.is_test]


def test_modules(policy: Policy, base_dir: Path) -> list[Module]:
    """What `authz test` loads: everything, tests included."""
    return builtin_modules(tests=True) + policy_modules(policy.authorization.modules, base_dir)


def authorizer_for(policy: Policy, base_dir: Path) -> Authorizer:
    from trainmaster.policy.rego import RegoAuthorizer

    return RegoAuthorizer(decision_modules(policy, base_dir), policy_data(policy))

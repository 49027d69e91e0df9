"""From the policy to the Rego `data.policy` document the bundle decides with. Pure."""

from __future__ import annotations

from typing import Any

from trainmaster.config.model import Policy
from trainmaster.policy.model import OPEN_ACTIONS, PRODUCTION_RISKY_ACTIONS, RISKY_ACTIONS


def policy_data(policy: Policy) -> dict[str, Any]:
    """Roles (members lower-cased: logins and emails compare without case, as in train/rules),
    each stage's approval roles and author rule, and the reason-for-access settings."""
    settings = policy.authorization
    return {
        "roles": {
            name: {
                "title": _plain(role.title),
                "members": sorted({m.lower() for m in role.members}),
                "may": list(role.may),
            }
            for name, role in policy.roles.items()
        },
        "stages": {
            name: {
                "approval_roles": list(stage.approval.roles),
                "exclude_author": stage.approval.exclude_author,
            }
            for name, stage in policy.stages.items()
        },
        "risky_actions": sorted(RISKY_ACTIONS),
        "production_actions": sorted(PRODUCTION_RISKY_ACTIONS),
        "open_actions": sorted(OPEN_ACTIONS),
        "production_stages": list(settings.production_stages),
        "reason_min_length": settings.reason_min_length,
    }


def _plain(text: str) -> str:
    """Titles end up inside Rego result strings, which regopy 1.5 does not escape."""
    return text.replace('"', "'").replace("\\", "/")

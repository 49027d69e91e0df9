"""Who someone is to the release: a signed-in person and the policy roles they hold. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from trainmaster.config.model import Policy


@dataclass(frozen=True)
class Person:
    """A signed-in person. `login` is the actor every audit event records."""

    login: str
    name: str = ""
    roles: tuple[str, ...] = ()
    via: str = "session"  # session | token


def roles_of(policy: Policy, *identities: str) -> tuple[str, ...]:
    """The roles listing any of the person's identities (login or email; case does not matter,
    as in the policy's own rules)."""
    mine = {i.lower() for i in identities if i}
    return tuple(
        sorted(
            name for name, role in policy.roles.items() if mine & {m.lower() for m in role.members}
        )
    )


def roles_enforced(policy: Policy) -> bool:
    """Roles take effect once any role lists members (the policy file's own rule)."""
    return any(role.members for role in policy.roles.values())


def may_sign_in(policy: Policy, roles: tuple[str, ...]) -> bool:
    """While roles are enforced, only people in some role may read the release; before that,
    anyone GitHub vouches for may."""
    return bool(roles) or not roles_enforced(policy)

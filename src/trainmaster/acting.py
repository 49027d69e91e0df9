"""Acting for someone: ask the authorization policy first, record what was done after.

Every use case goes through `ask` before its first effect (a refusal is audited as
`authz.refused` and raised as `Refused` with its reasons) and through `recorder` for each effect
it applies, so the actor and the reason reach the audit chain the same way from every front door.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainmaster.policy.model import Decision
    from trainmaster.ports import Backends

Record = Callable[[str, str, dict[str, Any]], None]  # (action, target, payload)


def ask(
    backends: Backends,
    actor: str,
    action: str,
    target: str,
    reason: str = "",
    *,
    stage: str | None = None,
    train: str | None = None,
) -> Decision:
    """The decision when `actor` may take `action` on `target`; else `Refused` (exit 5), on the
    record. With `train`, the policy also sees its author and kind."""
    from trainmaster.policy.enforce import authorize
    from trainmaster.policy.model import AccessRequest

    attributes: dict[str, Any] = {}
    if train is not None:
        from trainmaster.train.queries import train_attributes

        with backends.store.transaction() as session:
            attributes = train_attributes(session, train)
    request = AccessRequest(actor, action, target, reason, stage, attributes)
    return authorize(backends.authorizer, backends.store, request)


def recorder(backends: Backends, actor: str, reason: str) -> Record:
    """Append one audit event per applied effect, as `actor`, for `reason`."""
    from trainmaster.audit.log import append_event

    def record(action: str, target: str, payload: dict[str, Any]) -> None:
        with backends.store.transaction() as session:
            append_event(
                session, actor=actor, action=action, target=target, reason=reason, payload=payload
            )

    return record

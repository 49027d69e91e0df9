"""Enforcement: decide before any effect; a refusal is audited (`authz.refused`) and raised."""

from __future__ import annotations

from trainmaster.errors import RefusalReason, Refused
from trainmaster.policy.model import AccessRequest, Decision
from trainmaster.policy.port import Authorizer
from trainmaster.store import Store


def authorize(authorizer: Authorizer, store: Store, request: AccessRequest) -> Decision:
    """The decision when allowed; otherwise `Refused` (exit 5) listing every reason, after the
    refusal is on the audit record: refused accesses are accesses too."""
    decision = authorizer.decide(request)
    if decision.allowed:
        return decision
    from trainmaster.audit.log import append_event

    with store.transaction() as session:
        append_event(
            session,
            actor=request.actor,
            action="authz.refused",
            target=request.target,
            reason=request.reason,
            payload={
                "action": request.action,
                "stage": request.stage,
                "reasons": list(decision.reasons),
                "attributes": dict(request.attributes),
            },
        )
    raise Refused(f"refused: {decision.summary()}", reasons=refusal_reasons(decision))


def refusal_reasons(decision: Decision) -> tuple[RefusalReason, ...]:
    """The Rego bundle's reasons, each under the rule `authz` (Rego's `deny` names no rule)."""
    return tuple(RefusalReason("authz", reason) for reason in decision.reasons)

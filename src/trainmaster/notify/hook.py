"""The outbox writer: on each audit append, the notifications it causes, in the same transaction.

Installed once per process for a policy with targets (`install`); the audit log calls it after
every append. Most actions cause nothing and return before any query.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from trainmaster.audit.chain import AuditEvent
from trainmaster.config.model import Policy
from trainmaster.notify.events import Cause, event_for, kinds_for
from trainmaster.notify.outbox import enqueue
from trainmaster.notify.routing import message_id, routed

# Audit actions that can cause a notification (kinds_for decides which, if any).
CAUSES = frozenset(
    {
        "train.cut",
        "train.hotfix",
        "train.verify",
        "approval.requested",  # the job runner's reminder (jobs/handlers.py: remind)
        "train.auto_rollback",
        "promote",
        "train.promoted",
        "train.rolled_back",
        "rollback",  # outside a train: `rollout undo`, a watch on its own
        "governance.drift",
    }
)


class OutboxWriter:
    def __init__(self, policy: Policy, base_dir: Path) -> None:
        self.policy, self.base_dir = policy, base_dir

    def __call__(self, session: Session, audit: AuditEvent) -> None:
        if audit.action not in CAUSES:
            return
        from trainmaster.notify.facts import facts_for, told_by_a_train, train_of

        cause = cause_of(audit)
        found = train_of(session, self.policy, cause)
        kinds = kinds_for(cause, found[0] if found else None)
        if not kinds or (found is None and told_by_a_train(session, cause)):
            return
        facts = facts_for(session, self.policy, self.base_dir, cause, found, kinds)
        now = datetime.now(UTC)
        for kind in kinds:
            event = event_for(kind, cause, facts)
            for target in routed(self.policy.notify.targets, event):
                enqueue(
                    session,
                    message_id(event["id"], target.name),
                    target.name,
                    event,
                    cause.seq,
                    now,
                )


def cause_of(audit: AuditEvent) -> Cause:
    payload = json.loads(audit.payload)
    return Cause(
        seq=audit.seq,
        at=audit.at,
        actor=audit.actor,
        action=audit.action,
        target=audit.target,
        reason=audit.reason,
        payload=payload if isinstance(payload, dict) else {},
    )


_installed: list[Callable[[], None]] = []  # the remover of the one installed writer


def install(policy: Policy, base_dir: Path) -> Callable[[], None]:
    """Write notifications for `policy`'s targets from now on (replacing an earlier install).
    A policy without targets installs nothing: no outbox rows, no cost."""
    from trainmaster.audit.log import on_append

    uninstall()
    if not policy.notify.targets:
        return lambda: None
    remove = on_append(OutboxWriter(policy, base_dir))
    _installed.append(remove)
    return remove


def uninstall() -> None:
    while _installed:
        _installed.pop()()

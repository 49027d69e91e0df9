"""The CLI's two touch points: write notifications while a command runs, deliver after it."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from trainmaster.config.model import Policy
from trainmaster.store import Store

log = logging.getLogger(__name__)


def attach(policy: Policy, policy_path: Path) -> None:
    """From now on, audit events of this process write their notifications to the outbox."""
    from trainmaster.notify.hook import install

    install(policy, policy_path.resolve().parent)  # without targets: removes an earlier one


def deliver_after(policy: Policy, policy_path: Path, store: Store | None) -> None:
    """The command is over: stop writing, then deliver what is due, for at most
    `notify.deliver_after_command`; never fail the command (what is left is delivered by the
    next run or `trainmaster notify deliver`). `store` None: the command never opened it, so it
    wrote nothing, and closing must not create one."""
    from trainmaster.notify.hook import uninstall

    uninstall()
    if store is None or not policy.notify.targets:
        return
    from trainmaster.errors import TrainmasterError
    from trainmaster.notify.deliver import Deliverer

    within = policy.notify.deliver_after_command.total_seconds()
    if within <= 0:
        return
    try:
        report = Deliverer(policy, policy_path, store).run(within=within)
    except TrainmasterError as e:
        log.warning("notifications not delivered now (they stay in the outbox): %s", e)
        return
    for problem in report.problems:
        log.warning("%s", problem.message)


def record_drift(
    policy: Policy, store: Callable[[], Store], actor: str, drift: Sequence[tuple[str, object]]
) -> None:
    """`trainmaster drift` found differences: audit them (`governance.drift`), which is what
    notifies. Only with notify targets: drift is otherwise a read that needs no store. The
    fingerprint makes the same unchanged drift, seen by every scheduled run, one event."""
    if not policy.notify.targets:
        return
    from trainmaster.audit.log import append_event

    repos = [repo for repo, _ in drift]
    canonical = json.dumps(
        [[repo, actions] for repo, actions in drift], sort_keys=True, default=str
    )
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    with store().transaction() as session:
        append_event(
            session,
            actor=actor,
            action="governance.drift",
            target="github:" + (repos[0] if len(repos) == 1 else f"{len(repos)} repositories"),
            reason="governance differs from the policy",
            payload={"repos": repos, "fingerprint": fingerprint},
        )

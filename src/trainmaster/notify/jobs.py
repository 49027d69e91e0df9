"""Delivery by the job runner (`trainmaster serve`, `trainmaster worker`): a `notify.deliver`
job exists while the outbox has something due, one per five-second slot, so an idle outbox costs
no job rows and a busy one is drained within seconds of each commit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from trainmaster.config.model import Policy
from trainmaster.jobs.model import JobSpec
from trainmaster.store import Store

if TYPE_CHECKING:
    from trainmaster.jobs.runner import JobContext
    from trainmaster.ports import Backends

KIND = "notify.deliver"
SLOT_SECONDS = 5
RUN_FOR = 30.0  # seconds one job delivers; what is left is the next slot's job


def deliver_jobs(policy: Policy, store: Store, now: datetime) -> list[JobSpec]:
    from trainmaster.notify.outbox import next_due

    if not policy.notify.targets:
        return []
    with store.transaction() as session:
        earliest = next_due(session)
    if earliest is None:
        return []
    at = max(earliest, now)
    slot = datetime.fromtimestamp(at.timestamp() // SLOT_SECONDS * SLOT_SECONDS, UTC)
    return [JobSpec(KIND, f"{KIND}@{slot.strftime('%Y-%m-%dT%H:%M:%SZ')}", at, max_attempts=3)]


def deliver_job(backends: Backends, ctx: JobContext) -> Mapping[str, Any]:
    """Each message's own retries and dead letter live in the outbox, not in the job."""
    from trainmaster.notify.deliver import Deliverer

    # The policy's file name is not known here; its folder is (secret_file paths start there).
    where = backends.base_dir / "trainmaster.yaml"
    report = Deliverer(backends.policy, where, backends.store).run(within=RUN_FOR)
    return report.as_dict()

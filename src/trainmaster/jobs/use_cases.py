"""What a person does with jobs (`trainmaster jobs …`, the web UI's jobs page): read them, retry
a dead one, cancel a scheduled or running one. Retry and cancel are authorized (`jobs.manage`,
a reason required) and audited in the same transaction as the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from trainmaster.errors import UsageError
from trainmaster.jobs.model import Job, JobStatus
from trainmaster.policy.model import AccessRequest
from trainmaster.policy.port import Authorizer
from trainmaster.store import Store

RETRYABLE = frozenset({JobStatus.DEAD, JobStatus.CANCELLED})
CANCELLABLE = frozenset({JobStatus.SCHEDULED, JobStatus.RUNNING})
DONE = {"retry": "retried", "cancel": "cancelled"}


@dataclass(frozen=True)
class JobChange:
    """Retry or cancel one job, as `actor`, because `reason`."""

    job: str  # its id or its key
    actor: str
    reason: str
    dry_run: bool = False


@dataclass(frozen=True)
class JobChanged:
    job: Job
    before: JobStatus
    applied: bool


def list_jobs(
    store: Store, *, status: tuple[JobStatus, ...] = (), kind: str | None = None, limit: int = 200
) -> list[Job]:
    from trainmaster.store.jobs import listing

    with store.transaction() as session:
        return listing(session, statuses=status, kind=kind, limit=limit)


def show_job(store: Store, ident: str) -> Job:
    from trainmaster.store.jobs import get

    with store.transaction() as session:
        found = get(session, int(ident) if ident.isdigit() else ident)
    if found is None:
        raise UsageError(f"no job {ident!r} (see `trainmaster jobs list`)")
    return found


def retry_job(store: Store, authorizer: Authorizer, change: JobChange) -> JobChanged:
    """Run a dead or cancelled job again now, its attempts counted afresh."""
    return _change(store, authorizer, change, JobStatus.SCHEDULED, RETRYABLE, "retry")


def cancel_job(store: Store, authorizer: Authorizer, change: JobChange) -> JobChanged:
    """Stop a scheduled job from running; a running one loses its lease (its handler stops at
    its next check and records nothing)."""
    return _change(store, authorizer, change, JobStatus.CANCELLED, CANCELLABLE, "cancel")


def _change(
    store: Store,
    authorizer: Authorizer,
    change: JobChange,
    to: JobStatus,
    allowed: frozenset[JobStatus],
    verb: str,
) -> JobChanged:
    from trainmaster.audit.log import append_event
    from trainmaster.policy.enforce import authorize
    from trainmaster.store.jobs import set_status

    job = show_job(store, change.job)
    if job.status not in allowed:
        names = " or ".join(sorted(s.value for s in allowed))
        raise UsageError(
            f"job {job.key} is {job.status.value}: only a {names} job can be {DONE[verb]}"
        )
    if change.dry_run:
        return JobChanged(job, job.status, applied=False)
    request = AccessRequest(change.actor, "jobs.manage", f"job/{job.key}", change.reason)
    authorize(authorizer, store, request)
    with store.transaction() as session:
        changed = set_status(session, job.id, datetime.now(UTC), to, allowed=allowed)
        if changed is None or changed.status is not to:
            raise UsageError(f"job {job.key} changed meanwhile; look again (`jobs show`)")
        append_event(session, actor=change.actor, action=f"job.{verb}", target=f"job/{job.key}",
                     reason=change.reason, payload={"from": job.status.value, "to": to.value,
                                                    "kind": job.kind})  # fmt: skip
    return JobChanged(changed, job.status, applied=True)

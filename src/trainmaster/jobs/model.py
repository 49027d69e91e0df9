"""Jobs as plain data, and the pure rules for their life: when a failure is retried, when a
job is dead, when a lease is lost. No I/O here."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for run_at (also: waiting for its next retry)
    RUNNING = "running"  # claimed by `owner` until `lease_until`
    SUCCEEDED = "succeeded"
    DEAD = "dead"  # out of attempts or failed permanently: a person must look (`jobs retry`)
    CANCELLED = "cancelled"


FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.DEAD, JobStatus.CANCELLED})


@dataclass(frozen=True)
class JobSpec:
    """Work to do: `key` names it uniquely (enqueuing it again is a no-op)."""

    kind: str
    key: str
    run_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    max_attempts: int = 5


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    status: JobStatus
    run_at: datetime
    attempts: int
    max_attempts: int
    owner: str | None
    lease_until: datetime | None
    last_error: str
    result: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "id": self.id,
            "kind": self.kind,
            "key": self.key,
            "status": self.status.value,
            "run_at": iso(self.run_at),
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "owner": self.owner,
            "lease_until": iso(self.lease_until),
            "last_error": self.last_error,
            "payload": self.payload,
            "result": self.result,
            "created_at": iso(self.created_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
        }


@dataclass(frozen=True)
class Failure:
    """What a handler's failure means for the job: retried later, or dead now."""

    message: str
    permanent: bool = False


BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(minutes=30)


def backoff(attempt: int, *, rng: random.Random | None = None) -> timedelta:
    """Delay before retry number `attempt` (1 = the first retry): exponential, capped, with
    full jitter so replicas that failed together do not retry together."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (1 << min(20, max(0, attempt - 1))))
    draw: float = (rng or random).random()
    return max(timedelta(seconds=1), ceiling * draw)


def after_failure(
    job: Job, failure: Failure, now: datetime, delay: timedelta
) -> tuple[JobStatus, datetime]:
    """The status and next run of `job` after `failure` on its attempt number `job.attempts`:
    dead when the failure is permanent or the attempts are used up, else scheduled again."""
    if failure.permanent or job.attempts >= job.max_attempts:
        return JobStatus.DEAD, job.run_at
    return JobStatus.SCHEDULED, now + delay


def is_orphaned(job: Job, now: datetime) -> bool:
    """A running job whose runner stopped renewing its lease: another runner may take it."""
    return job.status is JobStatus.RUNNING and job.lease_until is not None and job.lease_until < now

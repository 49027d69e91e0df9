"""The job runner: claims due jobs from the store, runs them under a renewed lease, records the
outcome. Any number of runners (replicas) may share one store; each job runs in one of them.

Crash safety: a runner killed mid-job stops renewing its lease; when the lease runs out another
runner takes the job over and runs it again, so every handler is idempotent by the job's key
(the train engine's effect journal and the watch's checkpoint make the real work so)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from trainmaster.errors import ExternalError, TrainmasterError
from trainmaster.jobs import metrics
from trainmaster.jobs.model import Failure, Job, JobSpec, JobStatus, after_failure, backoff

if TYPE_CHECKING:
    from trainmaster.store import Store

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class JobContext:
    """What a handler gets: its job, a way to schedule follow-up work, and whether it still
    owns the job (a handler that runs long checks `lost` and stops)."""

    job: Job
    enqueue: Callable[[JobSpec], bool]
    lost: threading.Event = field(default_factory=threading.Event)


Handler = Callable[[JobContext], Mapping[str, Any] | None]
Planner = Callable[[datetime], list[JobSpec]]


class JobFailed(Exception):
    """Raised by a handler: the attempt failed; `permanent` means retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.failure = Failure(message, permanent)


def failure_of(error: BaseException) -> Failure:
    """Temporary: external systems (GitHub 5xx, Prometheus timeouts, a busy store) and anything
    unexpected. Permanent: trainmaster's own refusals and usage errors (they will not change)."""
    if isinstance(error, JobFailed):
        return error.failure
    if isinstance(error, ExternalError):
        return Failure(error.message, permanent=not error.temporary)
    if isinstance(error, TrainmasterError):
        return Failure(error.message, permanent=True)
    return Failure(f"{error.__class__.__name__}: {error}")


class Runner:
    def __init__(
        self,
        store: Store,
        handlers: Mapping[str, Handler],
        *,
        owner: str | None = None,
        lease: float = 20.0,
        poll: float = 0.5,
        concurrency: int = 8,
        planner: Planner | None = None,
        plan_every: float = 2.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store, self.handlers, self.planner, self.clock = store, handlers, planner, clock
        self.owner = owner or runner_id()
        self.lease, self.poll, self.concurrency = lease, poll, concurrency
        self.last_tick: datetime | None = None
        self.plan_every = plan_every
        self._planned_at: datetime | None = None
        self._stopping = threading.Event()
        self._running: dict[int, Future[None]] = {}
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="job")

    # --- the loop -------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> None:
        """Plan, claim and run until `stop` (or `drain()`) is set."""
        stop = stop or self._stopping
        while not stop.is_set() and not self._stopping.is_set():
            started = self.tick()
            if not started:
                stop.wait(self.poll)

    def tick(self) -> int:
        """One pass: enqueue planned work, then start due jobs while there is room. Returns how
        many jobs were started."""
        now = self.clock()
        self.last_tick = now
        self._reap()
        if self.planner is not None and self._plan_due(now):
            self.plan(now)
        started = 0
        while len(self._running) < self.concurrency and not self._stopping.is_set():
            job = self._claim()
            if job is None:
                break
            self._running[job.id] = self._pool.submit(self.execute, job)
            started += 1
        return started

    def _plan_due(self, now: datetime) -> bool:
        if (
            self._planned_at is not None
            and (now - self._planned_at).total_seconds() < self.plan_every
        ):
            return False
        self._planned_at = now
        return True

    def plan(self, now: datetime) -> int:
        from trainmaster.store.jobs import enqueue_many

        assert self.planner is not None
        specs = self.planner(now)
        if not specs:
            return 0
        with self.store.transaction() as session:
            return enqueue_many(session, specs, now)

    def run_due(self) -> list[Job]:
        """Run every due job in this thread, one after another (tests, `worker --once`)."""
        done: list[Job] = []
        while True:
            if self.planner is not None:
                self.plan(self.clock())  # a finished job may call for the next one
            job = self._claim()
            if job is None:
                return done
            self.execute(job)
            done.append(job)

    def drain(self, timeout: float | None = None) -> None:
        """Graceful stop (SIGTERM): claim nothing more, let running jobs finish."""
        from concurrent.futures import wait

        self._stopping.set()
        wait(list(self._running.values()), timeout=timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def alive(self, within: float = 10.0) -> bool:
        tick = self.last_tick
        return tick is not None and (self.clock() - tick).total_seconds() <= within + self.poll

    # --- one job --------------------------------------------------------------------------

    def _claim(self) -> Job | None:
        from trainmaster.store.jobs import claim

        now = self.clock()
        with self.store.transaction() as session:
            job = claim(session, self.owner, now, self.lease)
        if job is not None:
            metrics.LAG.observe(max(0.0, (now - job.run_at).total_seconds()))
        return job

    def execute(self, job: Job) -> None:
        context = JobContext(job, self._enqueue)
        done = threading.Event()
        heartbeat = threading.Thread(
            target=self._renew, args=(job, context, done), name=f"lease-{job.id}", daemon=True
        )
        heartbeat.start()
        try:
            result = self._call(job, context)
        finally:
            done.set()
            heartbeat.join()
        self._record(job, result)

    def _call(self, job: Job, context: JobContext) -> Mapping[str, Any] | Failure:
        handler = self.handlers.get(job.kind)
        if handler is None:
            return Failure(f"no handler for job kind {job.kind!r}", permanent=True)
        try:
            return handler(context) or {}
        except Exception as error:  # every failure is recorded on the job, never lost
            log.warning("job %s (%s) failed: %s", job.key, job.kind, error)
            return failure_of(error)

    def _record(self, job: Job, outcome: Mapping[str, Any] | Failure) -> None:
        from trainmaster.store.jobs import finish

        now = self.clock()
        with self.store.transaction() as session:
            if isinstance(outcome, Failure):
                status, run_at = after_failure(job, outcome, now, backoff(job.attempts))
                finish(session, job.id, self.owner, now, status=status, error=outcome.message,
                       run_at=run_at)  # fmt: skip
                metrics.RUNS.labels(job.kind, "dead" if status is JobStatus.DEAD else "retry").inc()
            else:
                finish(session, job.id, self.owner, now, status=JobStatus.SUCCEEDED,
                       result=dict(outcome))  # fmt: skip
                metrics.RUNS.labels(job.kind, "succeeded").inc()

    def _renew(self, job: Job, context: JobContext, done: threading.Event) -> None:
        from trainmaster.store.jobs import renew

        while not done.wait(self.lease / 3):
            now = self.clock()
            try:
                with self.store.transaction() as session:
                    mine = renew(
                        session, job.id, self.owner, now + timedelta(seconds=self.lease), now
                    )
            except TrainmasterError:
                continue  # the store is busy or away: try again before the lease runs out
            if not mine:
                context.lost.set()
                return

    def _enqueue(self, spec: JobSpec) -> bool:
        from trainmaster.store.jobs import enqueue

        with self.store.transaction() as session:
            return enqueue(session, spec, self.clock())

    def _reap(self) -> None:
        for job_id, future in list(self._running.items()):
            if future.done():
                del self._running[job_id]

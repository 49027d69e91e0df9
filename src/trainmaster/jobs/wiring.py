"""A job runner for a policy: the handlers wired to the composition root (`wiring.App`), the
planner reading the store. `trainmaster serve` and `trainmaster worker` start one each."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from trainmaster.jobs.handlers import Work, handlers
from trainmaster.jobs.model import JobSpec
from trainmaster.jobs.plan import RECENT, wanted
from trainmaster.jobs.runner import Runner

if TYPE_CHECKING:
    from trainmaster.config.model import Policy
    from trainmaster.jobs.runner import Planner
    from trainmaster.store import Store
    from trainmaster.wiring import App


def work_for(policy: Policy, store: Store, base_dir: Path, repo_path: Path) -> Work:
    """Each job gets its own backends (clients, pollers), closed when it ends; the store (its
    connection pool) is shared."""

    def backends() -> App:
        from trainmaster.wiring import App

        return App(policy, base_dir, repo_path=repo_path, store=store)

    return Work(backends)


def planner_for(policy: Policy, store: Store) -> Planner:
    def plan(now: datetime) -> list[JobSpec]:
        from trainmaster.notify.jobs import deliver_jobs  # notify (issue 20): the outbox
        from trainmaster.store.jobs import train_snapshots

        with store.transaction() as session:
            trains = train_snapshots(session, now - RECENT)
        return [*wanted(policy, trains, now), *deliver_jobs(policy, store, now)]

    return plan


def runner_for(policy: Policy, store: Store, base_dir: Path, repo_path: Path) -> Runner:
    work = work_for(policy, store, base_dir, repo_path)
    lease = policy.automation.lease.total_seconds()
    return Runner(store, handlers(work), planner=planner_for(policy, store), lease=lease)


def run_in_background(runner: Runner, drain_timeout: float = 30.0) -> Callable[[], None]:
    """Run on a daemon thread (beside a web server that owns the signals); returns the
    function that stops it: no new claims, running jobs finish (up to `drain_timeout`)."""
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), name="jobs", daemon=True)
    thread.start()

    def drain() -> None:
        stop.set()
        runner.drain(drain_timeout)
        thread.join(drain_timeout)

    return drain


def run_until_signalled(runner: Runner, drain_timeout: float = 30.0) -> None:
    """Run in this thread until SIGTERM or SIGINT, then drain: running jobs finish (up to
    `drain_timeout`; after that their leases lapse and another replica takes them over)."""
    stop = threading.Event()

    def graceful(_signum: int, _frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, graceful) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        runner.run(stop)
    finally:
        runner.drain(drain_timeout)
        for sig, handler in previous.items():
            signal.signal(sig, handler)

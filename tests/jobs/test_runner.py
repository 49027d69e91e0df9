"""The runner: outcomes recorded, failures retried or dead, planned work enqueued once, a dead
runner's job taken over after its lease, on both stores."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from trainmaster.errors import ExternalError, Refused
from trainmaster.jobs.model import JobSpec, JobStatus
from trainmaster.jobs.runner import JobContext, JobFailed, Runner
from trainmaster.store import Store
from trainmaster.store.jobs import claim, enqueue, get, listing

T0 = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def add(store: Store, key: str, kind: str = "work", at: datetime = T0, attempts: int = 5) -> None:
    with store.transaction() as s:
        enqueue(s, JobSpec(kind=kind, key=key, run_at=at, max_attempts=attempts), T0)


def job(store: Store, key: str) -> Any:
    with store.transaction() as s:
        return get(s, key)


def test_a_successful_job_records_its_result(store: Store) -> None:
    add(store, "a")
    seen: list[str] = []

    def work(ctx: JobContext) -> Mapping[str, Any]:
        seen.append(ctx.job.key)
        return {"done": ctx.job.key}

    ran = Runner(store, {"work": work}, clock=Clock()).run_due()
    assert [j.key for j in ran] == ["a"] and seen == ["a"]
    done = job(store, "a")
    assert done.status is JobStatus.SUCCEEDED and done.result == {"done": "a"}


def test_a_temporary_failure_is_retried_later_and_a_permanent_one_is_dead(store: Store) -> None:
    add(store, "flaky")
    add(store, "refused", kind="refuse")

    def flaky(ctx: JobContext) -> None:
        raise ExternalError("prometheus timed out", temporary=True)

    def refuse(ctx: JobContext) -> None:
        raise Refused("refused: frozen")

    clock = Clock()
    Runner(store, {"work": flaky, "refuse": refuse}, clock=clock).run_due()
    retry, dead = job(store, "flaky"), job(store, "refused")
    assert retry.status is JobStatus.SCHEDULED and retry.run_at > T0
    assert retry.last_error == "prometheus timed out" and retry.owner is None
    assert dead.status is JobStatus.DEAD and dead.last_error == "refused: frozen"


def test_attempts_run_out_into_the_dead_letter_state(store: Store) -> None:
    add(store, "doomed", attempts=3)
    calls: list[int] = []

    def fail(ctx: JobContext) -> None:
        calls.append(ctx.job.attempts)
        raise JobFailed("still broken")

    clock = Clock()
    runner = Runner(store, {"work": fail}, clock=clock)
    for _ in range(5):
        runner.run_due()
        clock.now += timedelta(hours=1)
    assert calls == [1, 2, 3]
    assert job(store, "doomed").status is JobStatus.DEAD


def test_an_unknown_kind_is_dead_at_once(store: Store) -> None:
    add(store, "x", kind="nobody-handles-this")
    Runner(store, {}, clock=Clock()).run_due()
    found = job(store, "x")
    assert found.status is JobStatus.DEAD and "nobody-handles-this" in found.last_error


def test_planned_work_is_enqueued_once_however_often_it_is_planned(store: Store) -> None:
    def planner(now: datetime) -> list[JobSpec]:
        return [JobSpec(kind="work", key="nightly@2026-12-04", run_at=now + timedelta(hours=9))]

    a = Runner(store, {"work": lambda c: None}, planner=planner, clock=Clock(), owner="a")
    b = Runner(store, {"work": lambda c: None}, planner=planner, clock=Clock(), owner="b")
    for runner in (a, b, a):
        runner.tick()
    with store.transaction() as s:
        assert [j.key for j in listing(s)] == ["nightly@2026-12-04"]


def test_a_dead_runners_job_is_taken_over_after_its_lease(store: Store) -> None:
    add(store, "watch")
    with store.transaction() as s:
        claimed = claim(s, "crashed-replica", T0, 20)  # then the process was killed
    assert claimed is not None
    clock = Clock(T0 + timedelta(seconds=10))
    survivor = Runner(store, {"work": lambda c: {"by": "survivor"}}, clock=clock, owner="b")
    assert survivor.run_due() == []  # the lease still holds
    clock.now = T0 + timedelta(seconds=21)
    assert [j.key for j in survivor.run_due()] == ["watch"]
    taken = job(store, "watch")
    assert taken.status is JobStatus.SUCCEEDED and taken.owner == "b" and taken.attempts == 2


def test_a_long_job_keeps_its_lease_and_learns_when_it_lost_it(store: Store) -> None:
    add(store, "long")
    started, release = threading.Event(), threading.Event()
    lost_seen: list[bool] = []

    def long(ctx: JobContext) -> None:
        started.set()
        release.wait(5)
        lost_seen.append(ctx.lost.is_set())

    runner = Runner(store, {"work": long}, lease=0.6, owner="a")
    worker = threading.Thread(target=runner.run_due)
    worker.start()
    assert started.wait(5)
    threading.Event().wait(1.5)  # more than two leases: only renewals keep it
    with store.transaction() as s:
        assert claim(s, "b", datetime.now(UTC), 20) is None
    release.set()
    worker.join(5)
    assert lost_seen == [False]
    assert job(store, "long").status is JobStatus.SUCCEEDED

"""The jobs table on both stores: idempotent enqueue, one claim per job, leases, fencing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trainmaster.jobs.model import JobSpec, JobStatus
from trainmaster.store import Store
from trainmaster.store.jobs import claim, enqueue, finish, get, listing, renew, set_status

T0 = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def spec(key: str = "train.cut@2026-12-03T18:00Z", at: datetime = T0) -> JobSpec:
    return JobSpec(kind="train.cut", key=key, run_at=at, payload={"at": at.isoformat()})


def test_enqueue_is_idempotent_by_key(store: Store) -> None:
    with store.transaction() as s:
        assert enqueue(s, spec(), T0) is True
    with store.transaction() as s:
        assert enqueue(s, spec(), T0) is False
        jobs = listing(s)
    assert [j.key for j in jobs] == ["train.cut@2026-12-03T18:00Z"]
    assert jobs[0].payload == {"at": T0.isoformat()}


def test_a_job_is_not_claimed_before_its_time(store: Store) -> None:
    with store.transaction() as s:
        enqueue(s, spec(at=T0 + timedelta(minutes=1)), T0)
    with store.transaction() as s:
        assert claim(s, "a", T0, 20) is None
    with store.transaction() as s:
        job = claim(s, "a", T0 + timedelta(minutes=1), 20)
    assert job is not None and job.owner == "a" and job.attempts == 1
    assert job.status is JobStatus.RUNNING


def test_a_claimed_job_is_not_claimed_again_while_its_lease_holds(store: Store) -> None:
    with store.transaction() as s:
        enqueue(s, spec(), T0)
    with store.transaction() as s:
        assert claim(s, "a", T0, 20) is not None
    with store.transaction() as s:
        assert claim(s, "b", T0 + timedelta(seconds=19), 20) is None
    with store.transaction() as s:
        taken = claim(s, "b", T0 + timedelta(seconds=21), 20)
    assert taken is not None and taken.owner == "b" and taken.attempts == 2


def test_a_runner_that_lost_its_job_records_nothing(store: Store) -> None:
    with store.transaction() as s:
        enqueue(s, spec(), T0)
    with store.transaction() as s:
        job = claim(s, "a", T0, 20)
    assert job is not None
    with store.transaction() as s:
        claim(s, "b", T0 + timedelta(seconds=30), 20)
    late = T0 + timedelta(seconds=31)
    with store.transaction() as s:
        assert renew(s, job.id, "a", late + timedelta(seconds=20), late) is False
        assert finish(s, job.id, "a", late, status=JobStatus.SUCCEEDED, result={}) is False
        assert finish(s, job.id, "b", late, status=JobStatus.SUCCEEDED, result={"ok": 1}) is True
        done = get(s, job.id)
    assert done is not None and done.status is JobStatus.SUCCEEDED and done.result == {"ok": 1}
    assert done.owner == "b" and done.finished_at is not None


def test_retry_and_cancel_follow_the_allowed_states(store: Store) -> None:
    with store.transaction() as s:
        enqueue(s, spec(), T0)
    with store.transaction() as s:
        job = claim(s, "a", T0, 20)
        assert job is not None
        finish(s, job.id, "a", T0, status=JobStatus.DEAD, error="boom")
    dead = frozenset({JobStatus.DEAD, JobStatus.CANCELLED})
    later = T0 + timedelta(hours=1)
    with store.transaction() as s:
        retried = set_status(s, job.id, later, JobStatus.SCHEDULED, allowed=dead)
    assert retried is not None and retried.status is JobStatus.SCHEDULED
    assert retried.attempts == 0 and retried.run_at == later
    with store.transaction() as s:
        unchanged = set_status(s, job.id, later, JobStatus.SCHEDULED, allowed=frozenset())
        missing = set_status(s, 999_999, later, JobStatus.CANCELLED, allowed=dead)
    assert unchanged is not None and unchanged.status is JobStatus.SCHEDULED
    assert missing is None


def test_two_claimers_at_once_take_different_jobs(store: Store) -> None:
    import threading

    with store.transaction() as s:
        for n in range(20):
            enqueue(s, spec(key=f"k{n}"), T0)
    taken: list[str] = []
    lock = threading.Lock()

    def claimer(owner: str) -> None:
        while True:
            with store.transaction() as s:
                job = claim(s, owner, T0, 60)
            if job is None:
                return
            with lock:
                taken.append(job.key)

    threads = [threading.Thread(target=claimer, args=(f"r{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(f"k{n}" for n in range(20))


def test_many_jobs_are_stored_in_chunks_and_known_keys_are_skipped(store: Store) -> None:
    from trainmaster.store.jobs import enqueue_many

    specs = [spec(key=f"k{n}", at=T0 + timedelta(minutes=n)) for n in range(1203)]
    with store.transaction() as s:
        assert enqueue_many(s, specs[:3], T0) == 3
    with store.transaction() as s:
        assert enqueue_many(s, specs, T0) == 1200
        jobs = listing(s, limit=2000)
    assert len(jobs) == 1203 and len({j.key for j in jobs}) == 1203

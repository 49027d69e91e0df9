"""Jobs: scheduling 10,000 future jobs, and 1,000 services each with a post-promotion watch
on one replica (job lag p50/p99, CPU per watch tick), on SQLite and on PostgreSQL.

The watches run the real handler (gates against a real Prometheus backfilled with 1,000
services' traffic), each tick one evaluation, through the runner's threads.

Usage: PYTHONPATH=. .venv/bin/python benchmarks/bench_jobs.py [--services 1000] [--minutes 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.gates.traffic import Traffic, record
from tests.prometheus_server import Samples, prometheus_with
from tests.servers import create_database, postgres_server

from trainmaster.jobs.model import JobSpec, JobStatus
from trainmaster.jobs.runner import Runner
from trainmaster.store import Store, open_store
from trainmaster.store.jobs import enqueue, enqueue_many, listing


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def stores() -> Iterator[list[tuple[str, Store]]]:
    base = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    with postgres_server() as admin:
        found = [
            ("sqlite", open_store(f"sqlite:///{base / 'jobs.db'}", base, upgrade=True)),
            ("postgresql", open_store(create_database(admin, "bench_jobs"), base, upgrade=True)),
        ]
        yield found
        for _, store in found:
            store.dispose()


def schedule_many(store: Store, count: int) -> float:
    now = datetime.now(UTC)
    specs = [
        JobSpec("preview.sweep", f"bench.future@{n}", now + timedelta(minutes=n))
        for n in range(count)
    ]
    began = time.perf_counter()
    with store.transaction() as session:
        enqueue_many(session, specs, now)
    return time.perf_counter() - began


def watch_fleet(store: Store, services: int, minutes: float, prometheus: str) -> dict[str, float]:
    """`services` watches, one tick every 30 s each, spread over the interval; each tick is the
    watch's evaluation: the seed's prod criteria for that service against Prometheus."""
    from trainmaster.adapters.prometheus import PrometheusMetrics
    from trainmaster.config import parse_policy
    from trainmaster.config.seed import seed_policy_text
    from trainmaster.gates.service import evaluate_stage
    from trainmaster.gates.watch import watch_gates

    policy = parse_policy(seed_policy_text("acme", "maestro"))
    gates = watch_gates(policy, "prod")
    source = PrometheusMetrics(prometheus)
    ticks: list[float] = []
    lock = threading.Lock()

    def tick(ctx):  # type: ignore[no-untyped-def]
        began = cpu()
        service = ctx.job.payload["service"]
        evaluate_stage(policy, "prod", metrics=source, at=datetime.now(UTC), service=service,
                       only=gates)  # fmt: skip
        at = ctx.job.run_at + timedelta(seconds=30)
        if (at - start).total_seconds() < minutes * 60:
            ctx.enqueue(JobSpec("tick", f"{service}#{int(at.timestamp())}", at, ctx.job.payload))
        with lock:
            ticks.append(cpu() - began)

    start = datetime.now(UTC)
    with store.transaction() as session:
        for n in range(services):
            at = start + timedelta(seconds=30 * n / services)
            payload = {"service": f"svc{n}"}
            enqueue(session, JobSpec("tick", f"svc{n}#0", at, payload), start)
    runner = Runner(store, {"tick": tick}, concurrency=8, poll=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    began_cpu = cpu()
    thread.start()
    time.sleep(minutes * 60 + 5)
    stop.set()
    thread.join(30)
    runner.drain(10)
    lags = [(j.started_at - j.run_at).total_seconds() for j in _done(store)]  # type: ignore[operator]
    return {
        "ticks": len(lags),
        "lag_p50_ms": statistics.median(lags) * 1000,
        "lag_p99_ms": statistics.quantiles(lags, n=100)[98] * 1000,
        "cpu_per_tick_ms": (cpu() - began_cpu) / max(1, len(lags)) * 1000,
        "handler_cpu_ms": statistics.mean(ticks) * 1000 if ticks else 0.0,
    }


def _done(store: Store) -> list:  # type: ignore[type-arg]
    with store.transaction() as session:
        return [
            j
            for j in listing(session, statuses=(JobStatus.SUCCEEDED,), kind="tick", limit=10**6)
            if j.started_at is not None
        ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--schedule", type=int, default=10_000)
    args = parser.parse_args()
    now = time.time()
    samples = Samples()
    for n in range(args.services):
        traffic = Traffic(f"svc{n}")
        record(samples, traffic, now - 4200, now + args.minutes * 60 + 120, every=60)
    print(f"load average: {os.getloadavg()}")
    with prometheus_with(samples) as prometheus, stores() as found:
        for name, store in found:
            took = schedule_many(store, args.schedule)
            print(f"| {name} | schedule {args.schedule} future jobs | {took:.2f} s |")
            fleet = watch_fleet(store, args.services, args.minutes, prometheus)
            print(f"| {name} | {args.services} watches, one tick / 30 s each, {args.minutes} min | "
                  f"{fleet['ticks']:.0f} ticks; lag p50 {fleet['lag_p50_ms']:.0f} ms, "
                  f"p99 {fleet['lag_p99_ms']:.0f} ms; process CPU per tick "
                  f"{fleet['cpu_per_tick_ms']:.1f} ms |")  # fmt: skip


if __name__ == "__main__":
    main()

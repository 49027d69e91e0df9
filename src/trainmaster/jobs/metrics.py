"""The job runner's own Prometheus metrics, served by `trainmaster serve` at /metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

if TYPE_CHECKING:
    from trainmaster.store import Store

REGISTRY = CollectorRegistry()
RUNS = Counter(
    "trainmaster_jobs_total",
    "Job attempts by kind and outcome (succeeded, retry, dead).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
LAG = Histogram(
    "trainmaster_job_lag_seconds",
    "How late a job started after its run_at.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)
QUEUE = Gauge(
    "trainmaster_job_queue",
    "Jobs in the store by status (scheduled, running, succeeded, dead, cancelled).",
    ["status"],
    registry=REGISTRY,
)
GATES = Gauge(
    "trainmaster_gate_evaluations",
    "Gate evaluations on record, by verdict (pass, fail, inconclusive).",
    ["verdict"],
    registry=REGISTRY,
)
OVERDUE = Gauge(
    "trainmaster_jobs_overdue_seconds",
    "How late the most overdue due job is (0 when none waits).",
    registry=REGISTRY,
)


def observe_store(store: Store) -> None:
    """Read the queue's shape into the gauges (at scrape time, so every replica reports the
    same store-wide numbers)."""
    from datetime import UTC, datetime

    from trainmaster.jobs.model import JobStatus
    from trainmaster.store.jobs import counts, gate_verdicts, lag_seconds

    with store.transaction() as session:
        found = counts(session)
        overdue = lag_seconds(session, datetime.now(UTC))
        verdicts = gate_verdicts(session)
    for verdict in ("pass", "fail", "inconclusive"):
        GATES.labels(verdict).set(verdicts.get(verdict, 0))
    for status in JobStatus:
        QUEUE.labels(status.value).set(found.get(status.value, 0))
    OVERDUE.set(overdue)

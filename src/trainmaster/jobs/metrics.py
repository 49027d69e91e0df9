"""The job runner's own Prometheus metrics, served by `trainmaster serve` at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

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

"""The same service scraped by the embedded backend and backfilled into real Prometheus gives
the same verdicts and (nearly) the same values, with windows scaled to seconds like the demo."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.prometheus_server import Samples, prometheus_with
from tests.servers import free_port
from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.adapters.scrape import ScrapeMetrics
from trainmaster.config import parse_policy
from trainmaster.gates.service import evaluate_stage

SECONDS_POLICY = """
version: 1
stages:
  demo:
    namespace: demo
    service: shop
    gates: [p95-latency, burn-rate, error-rate, saturation]
signals:
  p95-latency:
    kind: sustained
    query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="$service"}[5s])))
    threshold: 1.5
    for: 5s
    step: 1s
  burn-rate:
    kind: burn_rate
    errors_query: sum(rate(http_requests_total{job="$service",code=~"5.."}[$window]))
    total_query: sum(rate(http_requests_total{job="$service"}[$window]))
    slo: 0.99
    step: 1s
    windows: [{long: 30s, short: 10s, factor: 2}]
  error-rate:
    kind: window
    query: >-
      sum(rate(http_requests_total{job="$service",code=~"5.."}[$window]))
      / sum(rate(http_requests_total{job="$service"}[$window]))
    threshold: 0.02
    window: 5s
    step: 1s
  saturation:
    kind: sustained
    query: >-
      sum(rate(container_cpu_usage_seconds_total{namespace="$namespace",pod=~"$service-.*"}[4s]))
      / sum(kube_pod_container_resource_limits{namespace="$namespace",pod=~"$service-.*",resource="cpu"})
    threshold: 0.8
    for: 6s
    step: 1s
metrics:
  scrape_interval: 1s  # as ScrapeMetrics below: every range spans at least 4 scrapes
"""

T0 = 1_750_000_000.0
DURATION = 120


def _phase(second: int) -> tuple[float, float, float]:
    """(error ratio, slow latency, cpu cores) of the service at a second of the run."""
    errors = 0.1 if 40 <= second < 75 else 0.0
    slow = 2.2 if 60 <= second < 100 else 0.2
    cpu = 0.95 if second >= 80 else 0.4
    return errors, slow, cpu


@pytest.fixture(scope="module")
def both() -> Iterator[tuple[ScrapeMetrics, PrometheusMetrics]]:
    from prometheus_client import start_http_server

    registry = CollectorRegistry()
    requests = Counter("http_requests", "requests", ["code"], registry=registry)
    latency = Histogram(
        "http_request_duration_seconds",
        "latency",
        registry=registry,
        buckets=(0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 5.0),
    )
    cpu = Counter("container_cpu_usage_seconds", "cpu", ["namespace", "pod"], registry=registry)
    limit = Gauge(
        "kube_pod_container_resource_limits",
        "limit",
        ["namespace", "pod", "resource"],
        registry=registry,
    )
    limit.labels("demo", "shop-abc", "cpu").set(1.0)
    port = free_port()
    server, _thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    url = f"http://127.0.0.1:{port}/metrics"
    scraped = ScrapeMetrics(lambda: [url], job="shop", interval=1.0)
    backfill = Samples()
    rng = random.Random(5)
    try:
        for second in range(DURATION + 1):
            errors, slow, cores = _phase(second)
            for _ in range(20):
                requests.labels("500" if rng.random() < errors else "200").inc()
                latency.observe(slow if rng.random() < 0.1 else 0.05)
            cpu.labels("demo", "shop-abc").inc(cores)
            moment = T0 + second
            scraped.scrape(now=moment)
            _copy(generate_latest(registry).decode(), backfill, moment, f"127.0.0.1:{port}")
        with prometheus_with(backfill) as prom_url:
            yield scraped, PrometheusMetrics(prom_url)
    finally:
        server.shutdown()
        scraped.close()


def _copy(text: str, samples: Samples, moment: float, instance: str) -> None:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.endswith("_created"):
                continue
            labels = {**s.labels, "job": "shop", "instance": instance}
            samples.add(family.name, family.type, s.name, labels, moment, s.value)


@pytest.mark.parametrize("second", [12, 30, 44, 50, 64, 70, 80, 90, 99, 110, 120])
def test_scraped_and_prometheus_agree(both, second: int) -> None:  # type: ignore[no-untyped-def]
    scraped, prometheus = both
    policy = parse_policy(SECONDS_POLICY, "demo.yaml")
    at = datetime.fromtimestamp(T0 + second, UTC)
    ours = evaluate_stage(policy, "demo", metrics=scraped, at=at)
    theirs = evaluate_stage(policy, "demo", metrics=prometheus, at=at)
    for mine, real in zip(ours.signals, theirs.signals, strict=True):
        assert mine.verdict == real.verdict, (mine, real)
        if real.value is None:
            assert mine.value is None
        else:
            assert mine.value == pytest.approx(real.value, rel=1e-6, abs=1e-9), mine.name
        assert mine.breach_started_at == real.breach_started_at, mine.name
        assert [t for t, _ in mine.points] == [t for t, _ in real.points], mine.name


def test_the_scenario_exercises_every_verdict(both) -> None:  # type: ignore[no-untyped-def]
    scraped, _ = both
    policy = parse_policy(SECONDS_POLICY, "demo.yaml")
    seen = set()
    for second in range(10, DURATION + 1, 2):
        report = evaluate_stage(
            policy, "demo", metrics=scraped, at=datetime.fromtimestamp(T0 + second, UTC)
        )
        seen |= {(s.name, s.verdict.value) for s in report.signals}
    for name in ("p95-latency", "burn-rate", "error-rate", "saturation"):
        assert (name, "fail") in seen and (name, "pass") in seen, name

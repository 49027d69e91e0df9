"""The embedded PromQL subset against real Prometheus on the same samples: counter resets,
irregular scrapes, gaps, histograms, aggregations, matching, `or` and `label_replace`."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.prometheus_server import Samples, prometheus_with
from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.adapters.scrape import ScrapeMetrics
from trainmaster.gates.port import Series

T = 1_750_000_000.0


def _data() -> Samples:
    rng = random.Random(11)
    samples = Samples()
    counters = {("a", "200"): 0.0, ("a", "500"): 0.0, ("b", "200"): 0.0}
    cumulative = dict.fromkeys((0.1, 0.5, 1.0, 2.5), 0.0)
    total = 0.0
    t = T
    while t < T + 900:
        t += rng.choice((10.0, 15.0, 15.0, 20.0))  # irregular scrapes
        if T + 400 < t < T + 470:
            continue  # a gap
        for key in counters:
            counters[key] += rng.uniform(0, 30)
        if T + 600 < t < T + 620:
            counters[("a", "200")] = rng.uniform(0, 5)  # the process restarted: a counter reset
        for (job, code), value in counters.items():
            samples.counter("req_total", {"job": job, "code": code}, t, value)
        for _ in range(20):
            x = rng.expovariate(2.0)
            total += 1
            for le in cumulative:
                cumulative[le] += x <= le
        samples.histogram("lat_seconds", {"job": "a"}, t, cumulative, total)
        samples.gauge("limit", {"job": "a"}, t, 2.0)
        samples.gauge("limit", {"job": "b"}, t, 4.0)
    return samples


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[ScrapeMetrics, PrometheusMetrics]]:
    samples = _data()
    ours = ScrapeMetrics(lambda: [], job="x")
    for family in samples.lines.values():
        for series, t, v in family:
            name, _, rest = series.partition("{")
            labels = dict(item.split("=", 1) for item in rest.rstrip("}").split(",") if item)
            clean = {k: v.strip('"') for k, v in labels.items()}
            ours.store.add(tuple(sorted({**clean, "__name__": name}.items())), t, v)
    with prometheus_with(samples) as url:
        yield ours, PrometheusMetrics(url)


QUERIES = [
    "rate(req_total[1m])",
    "increase(req_total[2m])",
    "irate(req_total[1m])",
    'sum by (job) (rate(req_total{code!~"5.."}[90s]))',
    "sum without (code) (rate(req_total[1m]))",
    "avg(rate(req_total[1m]))",
    "max(rate(req_total[1m])) - min(rate(req_total[1m]))",
    "count(req_total)",
    'histogram_quantile(0.9, sum by (le) (rate(lat_seconds_bucket{job="a"}[2m])))',
    "histogram_quantile(0.5, rate(lat_seconds_bucket[1m]))",
    "sum by (job) (rate(req_total[1m])) / on (job) limit",
    "sum by (job, code) (rate(req_total[1m])) / ignoring (code) group_by_job_missing or vector(1)",
    'label_replace(rate(req_total{job="a"}[1m]), "svc", "s-$1", "code", "(.*)")',
    '-sum(rate(req_total{job=~"a|b"}[5m])) * 2 + 1',
    "avg_over_time(limit[5m]) + max_over_time(limit[1m])",
]


def _by_labels(series: list[Series]) -> dict[tuple[tuple[str, str], ...], dict[float, float]]:
    return {tuple(sorted(s.labels.items())): dict(s.points) for s in series}


@pytest.mark.parametrize("query", QUERIES)
def test_same_values_as_prometheus(pair, query: str) -> None:  # type: ignore[no-untyped-def]
    ours, prometheus = pair
    start, end = datetime.fromtimestamp(T + 60, UTC), datetime.fromtimestamp(T + 900, UTC)
    step = timedelta(seconds=20)
    mine = _by_labels(ours.query_range(query, start, end, step))
    real = _by_labels(prometheus.query_range(query, start, end, step))
    assert mine.keys() == real.keys()
    assert real, "the query should return something"
    for labels, points in real.items():
        assert mine[labels].keys() == points.keys(), labels
        for t, value in points.items():
            if math.isnan(value):
                assert math.isnan(mine[labels][t])
            else:
                assert mine[labels][t] == pytest.approx(value, rel=1e-9, abs=1e-12), (labels, t)

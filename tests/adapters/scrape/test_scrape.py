"""The embedded scrape backend: polling real /metrics endpoints, staleness, the subset's limits."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, Counter, start_http_server

from tests.servers import free_port
from trainmaster.adapters.scrape import ScrapeMetrics
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import PolicyError, UsageError
from trainmaster.gates.backends import metrics_for
from trainmaster.gates.promql import Matcher
from trainmaster.gates.service import evaluate_stage


def _server() -> tuple[str, Counter, object]:
    registry = CollectorRegistry()
    counter = Counter("http_requests", "requests", ["code"], registry=registry)
    port = free_port()
    server, _ = start_http_server(port, addr="127.0.0.1", registry=registry)
    return f"http://127.0.0.1:{port}/metrics", counter, server


def at(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def test_poller_scrapes_at_its_interval_and_labels_job_and_instance() -> None:
    url, counter, server = _server()
    counter.labels("200").inc(5)
    policy = parse_policy(
        seed_policy_text().replace("metrics: prometheus ", "metrics: scrape     "), "p.yaml"
    )
    source = metrics_for(policy, scrape_urls=lambda: [url], scrape_interval=0.05)
    try:
        assert isinstance(source, ScrapeMetrics)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len({t for t, _ in _points(source)}) < 3:
            time.sleep(0.02)
        now = time.time()
        series = source.query_range(
            'http_requests_total{job="maestro"}', at(now - 2), at(now), timedelta(seconds=0.5)
        )
        assert series and series[0].labels["instance"] == url.split("/")[2]
        assert series[0].points[-1][1] == 5.0
    finally:
        source.close()  # type: ignore[attr-defined]
        server.shutdown()  # type: ignore[attr-defined]


def _points(source: ScrapeMetrics) -> list[tuple[float, float]]:
    found = source.store.select([Matcher("__name__", "=", "up")])
    return found[0][1].window(time.time(), 60) if found else []


def test_a_target_that_leaves_goes_stale_and_up_drops_to_zero() -> None:
    url, counter, server = _server()
    counter.labels("200").inc()
    urls = [url]
    source = ScrapeMetrics(lambda: list(urls), job="shop")
    try:
        source.scrape(now=100.0)
        source.scrape(now=101.0)
        urls.clear()  # a blue/green switch: this colour is no longer scraped
        source.scrape(now=102.0)
        query = 'http_requests_total{job="shop"}'
        (before,) = source.query_range(query, at(101), at(101), timedelta(seconds=1))
        assert before.points == ((101.0, 1.0),)
        assert source.query_range(query, at(103), at(103), timedelta(seconds=1)) == []
        server.shutdown()  # type: ignore[attr-defined]
        urls.append(url)
        source.scrape(now=104.0)  # the target is down now
        (up,) = source.query_range('up{job="shop"}', at(101), at(104), timedelta(seconds=3))
        assert [v for _, v in up.points] == [1.0, 0.0]
    finally:
        source.close()


def test_queries_outside_the_subset_are_policy_errors_naming_the_signal() -> None:
    text = seed_policy_text().replace("histogram_quantile(0.95,", "quantile_over_time(0.95,", 1)
    policy = parse_policy(text, "p.yaml")
    source = ScrapeMetrics(lambda: [], job="maestro")
    with pytest.raises(
        PolicyError, match=r"signals.p95-latency: .*quantile_over_time\(\) is outside"
    ):
        evaluate_stage(policy, "prod", metrics=source, at=at(1000))
    for query in (
        "up offset 5m",
        "up > 1",
        "rate(up[5m:1m])",
        "sum by (job) (up) * on (job) group_left up",
    ):
        with pytest.raises(PolicyError, match="cannot run this query"):
            source.query_range(query, at(0), at(1), timedelta(seconds=1))


def test_scrape_backend_without_urls_is_a_usage_error() -> None:
    policy = parse_policy(
        seed_policy_text().replace("metrics: prometheus ", "metrics: scrape     "), "p.yaml"
    )
    with pytest.raises(UsageError, match="needs the local target"):
        metrics_for(policy)


def test_a_local_cluster_policy_scrapes_its_stage_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    text = seed_policy_text().replace("metrics: prometheus ", "metrics: scrape     ")
    policy = parse_policy(
        text.replace("cluster: argo-rollouts ", "cluster: local          "), "p.yaml"
    )
    assert policy.backends.cluster == "local"
    live = {
        "maestro-staging": ("http://127.0.0.1:1", None),
        "maestro": ("http://127.0.0.1:2", "http://127.0.0.1:3"),
    }

    class Local:
        def endpoints(self, target):  # type: ignore[no-untyped-def]
            active, preview = live.get(target.namespace, (None, None))
            return SimpleNamespace(active=active, preview=preview)

    monkeypatch.setattr(
        "trainmaster.rollout.backends.cluster_for",
        lambda policy, base_dir=None, shared=False: Local(),
    )
    source = metrics_for(policy, scrape_interval=60)
    try:
        assert isinstance(source, ScrapeMetrics)
        assert source.urls() == [f"http://127.0.0.1:{n}/metrics" for n in (1, 2, 3)]
    finally:
        source.close()

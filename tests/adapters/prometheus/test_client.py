"""The Prometheus adapter: range queries on the real server, and its errors mapped to ours."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.prometheus_server import Samples, prometheus_with
from tests.servers import free_port
from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.errors import ExternalError, PolicyError

T = 1_750_000_000.0


@pytest.fixture(scope="module")
def prometheus() -> Iterator[str]:
    samples = Samples()
    for k in range(41):
        samples.counter("jobs_total", {"job": "a"}, T + 15 * k, 10.0 * k)
        samples.gauge("queue_depth", {"job": "a"}, T + 15 * k, 0.0)
    with prometheus_with(samples) as url:
        yield url


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T + seconds, UTC)


def test_range_query_returns_series_on_the_step_grid(prometheus: str) -> None:
    metrics = PrometheusMetrics(prometheus)
    (series,) = metrics.query_range("rate(jobs_total[1m])", at(120), at(300), timedelta(seconds=60))
    assert series.labels == {"job": "a"}
    assert [t - T for t, _ in series.points] == [120, 180, 240, 300]
    assert all(v == pytest.approx(10 / 15) for _, v in series.points)
    assert metrics.queries == 1


def test_nan_from_zero_over_zero_comes_back_as_nan(prometheus: str) -> None:
    metrics = PrometheusMetrics(prometheus)
    (series,) = metrics.query_range(
        "queue_depth / queue_depth", at(0), at(60), timedelta(seconds=30)
    )
    assert series.points
    assert all(math.isnan(v) for _, v in series.points)


def test_rejected_query_is_a_policy_error(prometheus: str) -> None:
    with pytest.raises(PolicyError, match=r"Prometheus rejected the query: .*parse error"):
        PrometheusMetrics(prometheus).query_range(
            "rate(jobs_total[1m]", at(0), at(60), timedelta(seconds=30)
        )


def test_unreachable_is_temporary() -> None:
    with pytest.raises(ExternalError, match="unreachable") as caught:
        PrometheusMetrics(f"http://127.0.0.1:{free_port()}").query_range(
            "up", at(0), at(1), timedelta(seconds=1)
        )
    assert caught.value.temporary


def test_a_proxy_error_page_is_temporary() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(502, text="<html>Bad Gateway</html>")
    )
    with pytest.raises(ExternalError, match="HTTP 502 without JSON") as caught:
        PrometheusMetrics("http://prom", transport=transport).query_range(
            "up", at(0), at(1), timedelta(seconds=1)
        )
    assert caught.value.temporary

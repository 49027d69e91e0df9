"""The policy states the scrape interval; every range in a signal's query spans at least four of
them ($rate_interval adapts), and a policy that breaks the rule is refused with file:line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.gates.traffic import Traffic, record
from tests.prometheus_server import Samples, prometheus_with
from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import PolicyError
from trainmaster.gates.service import evaluate_stage
from trainmaster.gates.verdict import Verdict

T = 1_750_010_400.0  # on the minute grid


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_fixed_one_minute_rate_at_a_30s_scrape_is_refused_with_file_and_line() -> None:
    text = seed_policy_text().replace("[$rate_interval]", "[1m]", 1)
    text = text.replace("scrape_interval: 15s", "scrape_interval: 30s")
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "trainmaster.yaml")
    line = _line_of(text, "histogram_quantile(0.95") - 1  # the `query: >-` key
    assert caught.value.message.startswith(f"trainmaster.yaml:{line}:")
    assert "signals.p95-latency.query: the range [1m] spans fewer than 4 scrape intervals" in (
        caught.value.message
    )
    assert "needs at least [2m]" in caught.value.message


def test_windows_are_checked_too_and_four_intervals_exactly_is_enough() -> None:
    text = seed_policy_text().replace("scrape_interval: 15s", "scrape_interval: 3m")
    with pytest.raises(PolicyError, match=r"signals\.burn-rate\.errors_query: the range \[10m\]"):
        parse_policy(text, "trainmaster.yaml")
    text = seed_policy_text().replace("scrape_interval: 15s", "scrape_interval: 150s")
    with pytest.raises(PolicyError, match=r"signals\.error-rate\.query: the range \[5m\]"):
        parse_policy(text, "trainmaster.yaml")
    # 4 x 75 s = 5 m: the error-rate window and the burn windows are long enough
    fine = seed_policy_text().replace("scrape_interval: 15s", "scrape_interval: 75s")
    assert parse_policy(fine, "trainmaster.yaml").metrics.scrape_interval == timedelta(seconds=75)


@pytest.mark.parametrize(
    ("pods", "message"),
    [
        ('pod=~"{name}-.*"', "must contain {hash}"),
        ("pod={hash}", "not a PromQL matcher list"),
    ],
)
def test_the_pod_label_template_is_validated(pods: str, message: str) -> None:
    text = seed_policy_text().replace("""pods: 'pod=~"{name}-{hash}-.*"'""", f"pods: '{pods}'")
    with pytest.raises(PolicyError, match=message) as caught:
        parse_policy(text, "trainmaster.yaml")
    assert caught.value.message.startswith(f"trainmaster.yaml:{_line_of(text, 'pods:')}:")


def test_rate_interval_has_data_where_a_fixed_minute_has_holes_at_a_one_minute_scrape() -> None:
    samples = Samples()
    record(samples, Traffic("slow", latency=lambda _t: 2.0), T - 3600, T, every=60.0)
    text = seed_policy_text().replace("scrape_interval: 15s", "scrape_interval: 1m")
    policy = parse_policy(text, "trainmaster.yaml")
    at = datetime.fromtimestamp(T, UTC)
    with prometheus_with(samples) as url:
        metrics = PrometheusMetrics(url)
        report = evaluate_stage(
            policy, "prod", metrics=metrics, at=at, service="slow", only=["p95-latency"]
        )
        (p95,) = report.signals
        assert "[4m]" in (p95.query or "")  # max(30 s + 1 m, 4 x 1 m)
        assert p95.verdict is Verdict.FAIL and p95.value == pytest.approx(2.0, rel=0.3)
        # Between two scrapes a one-minute range holds a single sample: rate() has nothing, and
        # every other 30 s evaluation is a hole (none at all once scrapes are further apart).
        start, step = datetime.fromtimestamp(T - 600, UTC), timedelta(seconds=30)
        fixed = (p95.query or "").replace("[4m]", "[1m]")
        (ours,) = metrics.query_range(p95.query or "", start, at, step)
        (theirs,) = metrics.query_range(fixed, start, at, step)
        assert len(ours.points) == 21 and len(theirs.points) == 11

"""One query per signal for a fleet: the same verdicts as one query per service, on every P1
scenario of the benchmark corpus (benchmarks/gate_scenarios.py), on a real Prometheus."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from benchmarks.gate_scenarios import MIN, WATCH, S, corpus

from tests.gates.traffic import record
from tests.prometheus_server import Samples, prometheus_with
from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.config import parse_policy
from trainmaster.config.model import Policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.gates.fleet import PLACEHOLDER, TAG, fleet_query, split
from trainmaster.gates.port import Series
from trainmaster.gates.result import SignalResult
from trainmaster.gates.service import evaluate_services, evaluate_stage

SIGNALS = ["p95-latency", "burn-rate", "error-rate", "saturation"]
SCENARIOS = corpus()
NAMES = [s.name for s in SCENARIOS]


@pytest.fixture(scope="module")
def p1_prometheus() -> Iterator[str]:
    samples = Samples()
    for scenario in SCENARIOS:
        record(samples, scenario.traffic, S - 2 * 3600, S + WATCH)
    with prometheus_with(samples) as url:
        yield url


@pytest.fixture
def policy() -> Policy:
    return parse_policy(seed_policy_text(), "trainmaster.yaml")


def _evidence(r: SignalResult, prefix: str = "") -> tuple[object, ...]:
    reason = r.reason.removeprefix(prefix)
    return (r.verdict, reason, r.value, r.breach_started_at, r.points, r.query, r.window)


@pytest.mark.parametrize("minutes", [0, 9, 17.5, 30])
def test_fleet_verdicts_equal_the_per_service_ones_on_every_p1_scenario(
    policy: Policy, p1_prometheus: str, minutes: float
) -> None:
    at = datetime.fromtimestamp(S + minutes * MIN, UTC)
    fleet_metrics = PrometheusMetrics(p1_prometheus)
    fleet = evaluate_services(policy, "prod", NAMES, metrics=fleet_metrics, at=at, only=SIGNALS)
    assert fleet_metrics.queries == len(SIGNALS)  # one per signal, not one per service
    results = {r.name: r for r in fleet.signals}
    single = PrometheusMetrics(p1_prometheus)
    verdicts = set()
    for name in NAMES:
        own = evaluate_stage(policy, "prod", metrics=single, at=at, service=name, only=SIGNALS)
        for result in own.signals:
            mine = results[f"{name}/{result.name}"]
            assert _evidence(mine, f"{name}/") == _evidence(result), (name, result.name)
            verdicts.add(result.verdict.value)
    assert single.queries == len(NAMES) * len(SIGNALS)
    if minutes == 30:  # the corpus holds regressions, healthy services and idle ones
        assert verdicts == {"pass", "fail", "inconclusive"}


def test_a_service_missing_from_the_answer_is_no_data_for_it_alone(
    policy: Policy, p1_prometheus: str
) -> None:
    at = datetime.fromtimestamp(S, UTC)
    report = evaluate_services(
        policy, "prod", ["noise-0", "ghost"], metrics=PrometheusMetrics(p1_prometheus), at=at
    )
    by_name = {r.name: r for r in report.signals}
    for signal in SIGNALS:
        assert by_name[f"noise-0/{signal}"].verdict.value == "pass"
        ghost = by_name[f"ghost/{signal}"]
        assert ghost.verdict.value == "inconclusive" and "no_data: inconclusive" in ghost.reason


def _query(body: str) -> str:
    return body.replace("SVC", PLACEHOLDER)


@pytest.mark.parametrize(
    "query",
    [
        'sum(rate(x{job="SVC"}[1m])) or vector(0)',  # a constant belongs to no service
        'sum(rate(x{job="SVC"}[1m])) / sum(rate(y[1m]))',  # y cannot be attributed
        'sum(rate(x{job!="SVC"}[1m]))',
        'sum(rate(x{pod=~"(a|b)-SVC-.*"}[1m]))',
        'sum(rate(x{pod=~"a|SVC"}[1m]))',
    ],
)
def test_queries_the_rewrite_cannot_keep_faithful_go_one_per_service(query: str) -> None:
    assert fleet_query(_query(query), ["a", "b"]) is None


def test_regex_selectors_over_names_that_begin_one_another_go_one_per_service() -> None:
    query = _query('sum(rate(x{pod=~"SVC-.*"}[1m]))')
    assert fleet_query(query, ["shop", "shop-api"]) is None  # pod=~"shop-.*" takes shop-api's
    assert fleet_query(query, ["shop", "cart"]) is not None
    exact = _query('sum(rate(x{job="SVC"}[1m]))')
    assert fleet_query(exact, ["shop", "shop-api"]) is not None  # equality has no such overlap


def test_the_rewrite_groups_every_aggregation_and_matching_by_the_service() -> None:
    query = _query(
        'sum without (pod) (rate(x{job="SVC"}[1m])) / on (code) max by (code) (y{job="SVC"})'
    )
    fleet = fleet_query(query, ["a.b", "c"])
    assert fleet is not None
    assert f"max by (code, {TAG})" in fleet and f"on (code, {TAG})" in fleet
    assert "sum without (pod)" in fleet  # `without` keeps the tag by itself
    assert 'job=~"a\\\\.b|c"' in fleet  # QuoteMeta-escaped: a set lookup for Prometheus


def test_split_hands_each_service_its_series_without_the_tag() -> None:
    series = [
        Series({TAG: "a", "le": "1"}, ((1.0, 2.0),)),
        Series({TAG: "b"}, ((1.0, 3.0),)),
        Series({TAG: "other"}, ((1.0, 4.0),)),
    ]
    found = split(series, ["a", "b", "c"])
    assert found["a"] == [Series({"le": "1"}, ((1.0, 2.0),))]
    assert found["b"] == [Series({}, ((1.0, 3.0),))] and found["c"] == []
    assert "other" not in found


class _Bounded:
    """A backend that, like the embedded engine, parses a bounded length of PromQL."""

    max_query_chars = 3000

    def __init__(self, inner: PrometheusMetrics) -> None:
        self.inner = inner

    def query_range(self, query, start, end, step):  # type: ignore[no-untyped-def]
        assert len(query) <= self.max_query_chars
        return self.inner.query_range(query, start, end, step)


def test_without_a_stated_bound_the_embedded_engines_applies() -> None:
    from trainmaster.config.limits import MAX_QUERY_CHARS
    from trainmaster.gates.fleet import fleet_queries

    query = _query('sum(rate(x{job="SVC"}[1m]))')
    names = [f"service-{i:05d}" for i in range(2000)]
    chunks = fleet_queries(query, names, MAX_QUERY_CHARS)
    assert chunks is not None and len(chunks) > 1
    assert all(len(q) <= MAX_QUERY_CHARS for _, q in chunks)
    assert [n for part, _ in chunks for n in part] == names
    assert fleet_queries(query, names, None) == [(names, fleet_query(query, names))]


def test_a_backend_bounding_query_text_gets_the_fleet_in_chunks_with_the_same_verdicts(
    policy: Policy, p1_prometheus: str
) -> None:
    at = datetime.fromtimestamp(S + 20 * MIN, UTC)
    whole = evaluate_services(
        policy, "prod", NAMES, metrics=PrometheusMetrics(p1_prometheus), at=at, only=SIGNALS
    )
    inner = PrometheusMetrics(p1_prometheus)
    bounded = _Bounded(inner)
    chunked = evaluate_services(policy, "prod", NAMES, metrics=bounded, at=at, only=SIGNALS)
    assert [_evidence(r) for r in chunked.signals] == [_evidence(r) for r in whole.signals]
    assert len(SIGNALS) < inner.queries < len(NAMES)  # chunks, still far fewer than per service

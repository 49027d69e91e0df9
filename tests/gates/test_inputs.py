"""Gate inputs: k6 (both JSON shapes), Locust, JUnit, migrations — and bad files."""

from __future__ import annotations

import json

import pytest

from trainmaster.errors import UsageError
from trainmaster.gates.inputs import LoadLimits, parse_k6, parse_locust, parse_migrations
from trainmaster.gates.junit import parse_junit

SUMMARY_EXPORT = {  # k6 run --summary-export: true means the threshold FAILED
    "root_group": {"name": "", "groups": {}, "checks": {}},
    "metrics": {
        "http_req_duration": {"avg": 120.5, "p(95)": 310.2, "thresholds": {"p(95)<500": False}},
        "http_req_failed": {
            "passes": 3,
            "fails": 997,
            "value": 0.003,
            "thresholds": {"rate<0.01": False},
        },
        "iterations": {"count": 1000, "rate": 33.2},
    },
}
HANDLE_SUMMARY = {  # handleSummary(data) JSON: thresholds[expr].ok
    "state": {"testRunDurationMs": 30000},
    "metrics": {
        "http_req_duration": {
            "type": "trend",
            "contains": "time",
            "values": {"p(95)": 612.0},
            "thresholds": {"p(95)<500": {"ok": False}},
        },
        "http_req_failed": {
            "type": "rate",
            "values": {"rate": 0.001},
            "thresholds": {"rate<0.01": {"ok": True}},
        },
    },
}


def test_summary_export_true_means_failed() -> None:
    assert parse_k6(json.dumps(SUMMARY_EXPORT)).ok is True
    broken = json.loads(json.dumps(SUMMARY_EXPORT))
    broken["metrics"]["http_req_duration"]["thresholds"]["p(95)<500"] = True
    result = parse_k6(json.dumps(broken))
    assert result.ok is False and result.failures == ("http_req_duration: p(95)<500",)


def test_handle_summary_ok_false_means_failed() -> None:
    result = parse_k6(json.dumps(HANDLE_SUMMARY))
    assert result.ok is False and "1 of 2" in result.summary
    HANDLE_SUMMARY["metrics"]["http_req_duration"]["thresholds"]["p(95)<500"]["ok"] = True  # type: ignore[index]
    assert parse_k6(json.dumps(HANDLE_SUMMARY)).ok is True


def test_k6_without_thresholds_proves_nothing() -> None:
    assert parse_k6(json.dumps({"metrics": {"iterations": {"count": 5}}})).ok is None


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"metrics": {"x": {"thresholds": {"p(95)<1": "yes"}}}}',
        '{"metrics": {"x": {"thresholds": []}}}',
    ],
)
def test_malformed_k6_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="k6"):
        parse_k6(text, "k6 summary")


LOCUST = [
    {
        "name": "/",
        "method": "GET",
        "num_requests": 980,
        "num_failures": 5,
        "response_times": {"80": 900, "120": 50, "1900": 30},
    },
    {
        "name": "/cart",
        "method": "POST",
        "num_requests": 20,
        "num_failures": 0,
        "response_times": {"100": 20},
    },
]


def test_locust_held_to_the_policy_thresholds() -> None:
    limits = LoadLimits(max_error_ratio=0.02, max_p95_seconds=1.5)
    assert parse_locust(json.dumps(LOCUST), limits).ok is True  # p95 = 120 ms, 0.5 % failures
    slow = json.loads(json.dumps(LOCUST))
    slow[0]["response_times"] = {"80": 800, "1900": 180}
    result = parse_locust(json.dumps(slow), limits)
    assert result.ok is False and "p95 1.900s" in result.failures[0]
    assert parse_locust("[]", limits).ok is None
    with pytest.raises(UsageError, match="Locust"):
        parse_locust('[{"name": "/"}]', limits)


JUNIT = """<?xml version="1.0"?>
<testsuites><testsuite name="smoke" tests="3">
  <testcase classname="smoke" name="health"/>
  <testcase classname="smoke" name="login"><failure message="401"/></testcase>
  <testcase classname="smoke" name="search"><skipped/></testcase>
</testsuite></testsuites>"""


def test_junit_counts_the_test_cases() -> None:
    result = parse_junit(JUNIT)
    assert result.ok is False and result.failures == ("smoke.login",)
    passing = JUNIT.replace('<failure message="401"/>', "")
    assert parse_junit(passing).ok is True
    assert parse_junit('<testsuite name="s" tests="0"></testsuite>').ok is None
    with pytest.raises(UsageError, match="malformed XML"):
        parse_junit("<testsuites><testsuite>")
    with pytest.raises(UsageError, match="not JUnit"):
        parse_junit("<html/>")


def test_migrations_result() -> None:
    assert parse_migrations('{"breaches": []}').ok is True
    result = parse_migrations('{"breaches": ["DROP COLUMN users.email without a expand phase"]}')
    assert result.ok is False and len(result.failures) == 1
    with pytest.raises(UsageError):
        parse_migrations('{"breaches": "none"}')

"""`gate run` end to end: the seed policy's PromQL on a real Prometheus, scenario by scenario."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.gates.conftest import MIN, T0

AT = datetime.fromtimestamp(T0, UTC).isoformat().replace("+00:00", "Z")


def gate_run(cli, url: str, service: str, *extra: str, at: str = AT):  # type: ignore[no-untyped-def]
    result = cli(
        "gate",
        "run",
        "--env",
        "prod",
        "--service",
        service,
        "--at",
        at,
        "--prometheus",
        url,
        "--json",
        *extra,
    )
    body = json.loads(result.out) if result.out.strip() else None
    return result, body


def by_name(body: dict) -> dict:  # type: ignore[type-arg]
    return {s["name"]: s for s in body["signals"]}


@pytest.fixture(autouse=True)
def _policy(policy_file: Path) -> None:
    assert policy_file.exists()


def test_healthy_service_passes_every_gate_even_without_any_5xx_series(cli, golden_prometheus):  # type: ignore[no-untyped-def]
    result, body = gate_run(cli, golden_prometheus, "healthy")
    assert result.code == 0, result.err
    assert body["verdict"] == "pass"
    signals = by_name(body)
    assert set(signals) == {"p95-latency", "burn-rate", "error-rate", "saturation", "migrations"}
    assert signals["error-rate"]["value"] == 0.0
    assert signals["p95-latency"]["threshold"] == 1.5
    assert signals["p95-latency"]["window"] == "5m"
    assert len(signals["p95-latency"]["points"]) == 11  # [t-5m, t] at 30s, as a for: 5m alert
    assert "http_request_duration_seconds_bucket" in signals["p95-latency"]["query"]
    assert body["evaluated_at"] == AT


def test_p95_over_threshold_for_six_minutes_fails_with_the_breach_start(cli, golden_prometheus):  # type: ignore[no-untyped-def]
    result, body = gate_run(cli, golden_prometheus, "slow6")
    assert result.code == 1
    p95 = by_name(body)["p95-latency"]
    assert p95["verdict"] == "fail" and p95["value"] > 1.5
    started = datetime.fromisoformat(p95["breach_started_at"]).timestamp()
    assert T0 - 6 * MIN <= started <= T0 - 5 * MIN


def test_p95_over_threshold_for_four_minutes_is_not_sustained(cli, golden_prometheus):  # type: ignore[no-untyped-def]
    result, body = gate_run(cli, golden_prometheus, "slow4")
    p95 = by_name(body)["p95-latency"]
    assert p95["verdict"] == "pass", p95["reason"]
    assert p95["value"] > 1.5  # breaching now, but not for 5 minutes yet
    assert p95["breach_started_at"] is not None
    assert result.code == 0


def test_error_rate_over_two_percent_fails_and_burns_the_budget(cli, golden_prometheus):  # type: ignore[no-untyped-def]
    result, body = gate_run(cli, golden_prometheus, "errors5")
    assert result.code == 1
    signals = by_name(body)
    assert signals["error-rate"]["verdict"] == "fail"
    assert signals["error-rate"]["value"] == pytest.approx(0.05, rel=0.01)
    assert signals["burn-rate"]["verdict"] == "fail"
    assert signals["burn-rate"]["window"] == "1h/10m"


def test_one_percent_errors_for_five_minutes_passes_both(cli, golden_prometheus):  # type: ignore[no-untyped-def]
    result, body = gate_run(cli, golden_prometheus, "errors1")
    signals = by_name(body)
    assert signals["error-rate"]["verdict"] == "pass"
    assert signals["burn-rate"]["verdict"] == "pass"  # the 1h window is below 2x
    assert result.code == 0


def test_slow_burn_fails_burn_rate_while_error_rate_passes(cli, golden_prometheus):  # type: ignore[no-untyped-def]
    result, body = gate_run(cli, golden_prometheus, "burning")
    signals = by_name(body)
    assert signals["error-rate"]["verdict"] == "pass"
    assert signals["burn-rate"]["verdict"] == "fail"
    assert signals["burn-rate"]["value"] == pytest.approx(5.0, rel=0.05)  # 0.5 % / 0.1 %
    assert result.code == 1


def test_saturation_sustained_ten_minutes_fails(cli, golden_prometheus):  # type: ignore[no-untyped-def]
    result, body = gate_run(cli, golden_prometheus, "hot")
    sat = by_name(body)["saturation"]
    assert sat["verdict"] == "fail" and sat["value"] == pytest.approx(0.9, rel=0.01)
    assert result.code == 1


def test_saturation_counts_each_container_once_not_cadvisors_pod_and_pause_series(
    cli, golden_prometheus
):  # type: ignore[no-untyped-def]
    # cAdvisor reports a pod's CPU three times: per container, for the pause container
    # (container="POD") and for the pod cgroup (no container label). Summing all of them
    # would read this half-busy service as 100 % of its limit.
    result, body = gate_run(cli, golden_prometheus, "busy", "--only", "saturation")
    saturation = by_name(body)["saturation"]
    assert result.code == 0 and saturation["verdict"] == "pass", saturation["reason"]
    assert saturation["value"] == pytest.approx(0.5, rel=0.01)


def test_zero_traffic_is_inconclusive_naming_each_signal(cli, golden_prometheus):  # type: ignore[no-untyped-def]
    result, body = gate_run(cli, golden_prometheus, "idle")
    assert result.code == 3
    signals = by_name(body)
    for name in ("p95-latency", "error-rate", "burn-rate"):
        assert signals[name]["verdict"] == "inconclusive"
        assert signals[name]["reason"].startswith(name + ":")
    assert body["verdict"] == "inconclusive"


def test_a_scrape_gap_inside_the_window_is_not_a_pass(cli, golden_prometheus):  # type: ignore[no-untyped-def]
    result, body = gate_run(cli, golden_prometheus, "gappy")
    p95 = by_name(body)["p95-latency"]
    assert p95["verdict"] == "inconclusive", p95["reason"]
    assert "missing" in p95["reason"]
    assert result.code == 3


def test_at_evaluates_a_past_instant(cli, golden_prometheus):  # type: ignore[no-untyped-def]
    before = datetime.fromtimestamp(T0 - 20 * MIN, UTC).isoformat()
    result, body = gate_run(cli, golden_prometheus, "errors5", at=before)
    assert result.code == 0
    assert by_name(body)["error-rate"]["value"] == 0.0


def test_a_query_prometheus_rejects_is_a_policy_error_naming_the_signal(
    cli, golden_prometheus, policy_file
):  # type: ignore[no-untyped-def]
    text = policy_file.read_text().replace("threshold: 0.8", "threshold: 0.8\n    no_data: fail", 1)
    text = text.replace('resource="cpu"})', 'resource="cpu"}', 1)
    policy_file.write_text(text)
    result, _ = gate_run(cli, golden_prometheus, "healthy")
    assert result.code == 2
    assert "signals.saturation: Prometheus rejected the query" in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1


def test_unreachable_prometheus_is_inconclusive(cli):  # type: ignore[no-untyped-def]
    from tests.servers import free_port

    result, body = gate_run(cli, f"http://127.0.0.1:{free_port()}", "healthy")
    assert result.code == 3
    assert "unreachable" in by_name(body)["error-rate"]["reason"]


def test_human_output_and_github_step_summary(cli, golden_prometheus, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = cli(
        "gate",
        "run",
        "--env",
        "prod",
        "--service",
        "errors5",
        "--at",
        AT,
        "--prometheus",
        golden_prometheus,
    )
    assert result.code == 1
    assert "overall: fail" in result.out
    assert "::error::error-rate:" in result.err
    assert "| error-rate | ❌ fail |" in summary.read_text()


def test_the_sre_workbook_preset_on_real_prometheus(seed_policy, golden_prometheus) -> None:  # type: ignore[no-untyped-def]
    from trainmaster.adapters.prometheus import PrometheusMetrics
    from trainmaster.config.model import Signal
    from trainmaster.gates.service import evaluate_stage

    preset = Signal.model_validate(
        {
            "kind": "burn_rate",
            "errors_query": 'sum(rate(http_requests_total{job="$service",code=~"5.."}[$window]))',
            "total_query": 'sum(rate(http_requests_total{job="$service"}[$window]))',
            "slo": 0.999,
            "preset": "sre-workbook",
        }
    )
    policy = seed_policy.model_copy(
        update={"signals": {**seed_policy.signals, "burn-rate": preset}}
    )
    metrics = PrometheusMetrics(golden_prometheus)
    at = datetime.fromtimestamp(T0, UTC)

    def burn(service: str):  # type: ignore[no-untyped-def]
        report = evaluate_stage(
            policy, "prod", metrics=metrics, at=at, service=service, only=["burn-rate"]
        )
        return report.signals[0]

    hot = burn("errors5")  # 5 % for 10 min of 2 h of data: ~4x over 2h and 1d, 8x over 1h
    assert hot.verdict.value == "fail"
    assert hot.window == "1h/5m, 6h/30m, 1d/2h, 3d/6h"
    assert hot.threshold == 1 and "3d/6h" in hot.reason  # the row burning most over its factor
    assert metrics.queries == 1  # every window of every row in one query
    assert burn("errors1").verdict.value == "pass"


def test_gate_run_over_several_services_judges_each_on_its_own(cli, golden_prometheus):  # type: ignore[no-untyped-def]
    # one query per signal for all three; the service with no series has no data, alone
    result, body = gate_run(
        cli, golden_prometheus, "healthy", "--service", "slow6", "--service", "ghost"
    )
    signals = by_name(body)
    assert result.code == 1
    assert signals["healthy/p95-latency"]["verdict"] == "pass"
    assert signals["slow6/p95-latency"]["verdict"] == "fail"
    assert signals["ghost/p95-latency"]["verdict"] == "inconclusive"
    assert 'job="slow6"' in signals["slow6/p95-latency"]["query"]  # its own query as evidence

"""Which gate results get a chart: verdict changes and the last result of each gate."""

from __future__ import annotations

from datetime import UTC, datetime

from trainmaster.evidence.dashboards import charted
from trainmaster.evidence.record import GateResult

AT = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)


def result(id_: int, gate: str, verdict: str, stage: str = "prod") -> GateResult:
    return GateResult(id_, stage, gate, verdict, "sha256:" + "a" * 64, {}, AT)


def test_a_long_watch_charts_the_change_and_the_end_not_every_tick() -> None:
    ticks = [result(i, "error-rate", "pass") for i in range(1, 30)]
    ticks.append(result(30, "error-rate", "fail"))
    ticks += [result(31, "p95-latency", "pass"), result(32, "p95-latency", "pass")]
    assert [g.id for g in charted(ticks)] == [30, 32]


def test_each_stage_and_gate_keeps_its_last_result() -> None:
    rows = [result(1, "smoke", "pass", "stage"), result(2, "smoke", "pass", "prod")]
    assert [g.id for g in charted(rows)] == [1, 2]


def test_a_flapping_gate_charts_every_change() -> None:
    rows = [
        result(1, "saturation", "pass"),
        result(2, "saturation", "inconclusive"),
        result(3, "saturation", "pass"),
        result(4, "saturation", "pass"),
    ]
    assert [g.id for g in charted(rows)] == [2, 3, 4]


def test_moment_charts_span_the_policys_own_windows() -> None:
    from datetime import timedelta

    from trainmaster.config import parse_policy
    from trainmaster.config.seed import seed_policy_text
    from trainmaster.demo.policy import demo_policy_text
    from trainmaster.evidence.dashboards import chart_span

    seed = chart_span(parse_policy(seed_policy_text()))
    assert (seed.before, seed.after, seed.step) == (
        timedelta(hours=1),
        timedelta(minutes=15),
        timedelta(seconds=30),
    )
    demo = chart_span(parse_policy(demo_policy_text()))
    assert (demo.before, demo.step) == (timedelta(seconds=60), timedelta(seconds=1))

"""Gate benchmarks on a real Prometheus (backfilled with promtool).

P1: the scenario corpus (benchmarks/gate_scenarios.py) watched for 30 minutes after promotion by
trainmaster (the seed's prod criteria, evaluated every 30 s) and by two baselines on the same
data and queries: Argo Rollouts-style analysis (measurement every 1 m, failureLimit 0 or 3,
consecutiveErrorLimit 4, no data = error) and Flagger-style analysis (every 1 m, rollback at 5
cumulative failed checks, no data = failed check).
P2: 100 (p2) or 1,000 (p2-1000) services x 4 signals in one `gate run`: wall time and queries
sent by the fleet path (one query per signal) and by the per-service path, in the same run.

Usage: PYTHONPATH=. .venv/bin/python benchmarks/bench_gates.py [p1|p2|p2-1000]
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.gate_scenarios import MIN, WATCH, S, Scenario, corpus
from tests.gates.traffic import Traffic, record
from tests.prometheus_server import Samples, prometheus_with

from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.config import parse_policy
from trainmaster.config.model import Policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.gates.result import SignalResult
from trainmaster.gates.service import evaluate_services, evaluate_stage
from trainmaster.gates.verdict import Verdict

STEP = 30.0  # trainmaster's watch interval (the seed's prod watch)
WINDOWS = {
    "p95-latency": 5 * MIN,
    "error-rate": 5 * MIN,
    "saturation": 10 * MIN,
    "burn-rate": 60 * MIN,
}
LIMITS = {"p95": 1.5, "errors": 0.02, "saturation": 0.8, "burn": 2.0}


def baseline_queries(service: str) -> dict[str, str]:
    """What an AnalysisTemplate / Canary would carry: the same PromQL, judged per measurement.
    A missing 5xx series counts as zero (`or vector(0)`), the usual fix in those templates."""
    job = f'job="{service}"'
    pods = f'namespace="maestro",pod=~"{service}-.*"'

    def ratio(window: str) -> str:
        errors = f'sum(rate(http_requests_total{{{job},code=~"5.."}}[{window}]))'
        return f"(({errors} or vector(0)) / sum(rate(http_requests_total{{{job}}}[{window}])))"

    def tagged(window: str) -> str:
        return f'label_replace({ratio(window)} / 0.001, "w", "{window}", "", "")'

    buckets = f"rate(http_request_duration_seconds_bucket{{{job}}}[1m])"
    cpu = f"sum(rate(container_cpu_usage_seconds_total{{{pods}}}[1m]))"
    limit = f'sum(kube_pod_container_resource_limits{{{pods},resource="cpu"}})'
    return {
        "p95": f"histogram_quantile(0.95, sum by (le) ({buckets}))",
        "errors": ratio("5m"),
        "saturation": f"{cpu} / {limit}",
        # both windows in one metric: the smaller burn must exceed 2x, as multi-window alerts do
        "burn": f"min({tagged('1h')} or {tagged('10m')})",
    }


@dataclass
class Detection:
    at: float | None  # rollback instant, None if never
    breach: float | None = None  # trainmaster: the first breaching point of the failing signal


def trainmaster(url: str, scenario: Scenario) -> Detection:
    policy = parse_policy(seed_policy_text(), "trainmaster.yaml")
    metrics = PrometheusMetrics(url)
    only = ["p95-latency", "burn-rate", "error-rate", "saturation"]
    t = S
    while t <= S + WATCH:
        at = datetime.fromtimestamp(t, UTC)
        report = evaluate_stage(
            policy, "prod", metrics=metrics, at=at, service=scenario.name, only=only
        )
        if report.verdict is Verdict.FAIL:
            starts = [f.breach_started_at for f in report.failing() if f.breach_started_at]
            return Detection(t, min(starts) if starts else None)
        t += STEP
    return Detection(None)


def _minutely(url: str, scenario: Scenario) -> dict[str, list[float | None]]:
    """Each baseline metric at S, S+1m, ... S+30m: one range query per metric."""
    metrics = PrometheusMetrics(url)
    out: dict[str, list[float | None]] = {}
    start, end = datetime.fromtimestamp(S, UTC), datetime.fromtimestamp(S + WATCH, UTC)
    for name, query in baseline_queries(scenario.name).items():
        series = metrics.query_range(query, start, end, timedelta(minutes=1))
        values: dict[float, float] = dict(series[0].points) if series else {}
        out[name] = [values.get(S + k * MIN) for k in range(int(WATCH / MIN) + 1)]
    return out


def argo(
    values: dict[str, list[float | None]], failure_limit: int, error_limit: int = 4
) -> Detection:
    failed = dict.fromkeys(values, 0)
    errors = dict.fromkeys(values, 0)
    for k in range(len(next(iter(values.values())))):
        for name, series in values.items():
            value, limit = series[k], LIMITS[name]
            if value is None:  # empty result: the measurement errors
                errors[name] += 1
                if errors[name] > error_limit:
                    return Detection(S + k * MIN)
                continue
            errors[name] = 0
            if not value < limit:  # NaN fails the successCondition too
                failed[name] += 1
                if failed[name] > failure_limit:
                    return Detection(S + k * MIN)
    return Detection(None)


def flagger(values: dict[str, list[float | None]], threshold: int = 5) -> Detection:
    failed_checks = 0
    for k in range(len(next(iter(values.values())))):
        bad = any(
            series[k] is None or not series[k] < LIMITS[name]  # type: ignore[operator]
            for name, series in values.items()
        )
        if bad:
            failed_checks += 1
            if failed_checks >= threshold:
                return Detection(S + k * MIN)
    return Detection(None)


def summarize(name: str, scenarios: list[Scenario], found: list[Detection]) -> None:
    hits = [
        (s, d) for s, d in zip(scenarios, found, strict=True) if s.regression and d.at is not None
    ]
    misses = [s for s, d in zip(scenarios, found, strict=True) if s.regression and d.at is None]
    false = [
        s for s, d in zip(scenarios, found, strict=True) if not s.regression and d.at is not None
    ]
    regressions = sum(s.regression for s in scenarios)
    latencies = [
        max(0.0, d.at - s.onset) / MIN for s, d in hits if s.onset is not None and d.at is not None
    ]
    within = sum(
        1
        for s, d in hits
        if d.at is not None
        and s.onset is not None
        and d.at - s.onset <= WINDOWS[s.criterion] + STEP
    )
    median = statistics.median(latencies) if latencies else math.nan
    worst = max(latencies) if latencies else math.nan
    print(
        f"| {name} | {len(hits)}/{regressions} | {len(misses)} "
        f"| {len(false)}/{len(scenarios) - regressions} "
        f"| {median:.1f} | {worst:.1f} | {within}/{len(hits)} |"
    )
    for s in false:
        print(f"|   false rollback: {s.name} ({s.family}) | | | | | | |")
    for s in misses:
        print(f"|   missed: {s.name} ({s.family}) | | | | | | |")


def p1() -> None:
    scenarios = corpus()
    samples = Samples()
    for s in scenarios:
        record(samples, s.traffic, S - 2 * 3600, S + WATCH + 10 * MIN)
    began = time.perf_counter()
    with prometheus_with(samples) as url:
        ready = time.perf_counter() - began
        began = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            ours = list(pool.map(lambda s: trainmaster(url, s), scenarios))
            minutely = list(pool.map(lambda s: _minutely(url, s), scenarios))
        took = time.perf_counter() - began
    print(
        f"{len(scenarios)} scenarios ({sum(s.regression for s in scenarios)} regressions), "
        f"backfill+start {ready:.1f}s, evaluation {took:.1f}s\n"
    )
    print(
        "| system | detected | missed | false rollbacks | median latency (min) "
        "| max latency (min) | within window + step |"
    )
    print("|---|---|---|---|---|---|---|")
    summarize("trainmaster (30 s, sustained/window/burn)", scenarios, ours)
    summarize("Argo-style, failureLimit 0", scenarios, [argo(v, 0) for v in minutely])
    summarize("Argo-style, failureLimit 3", scenarios, [argo(v, 3) for v in minutely])
    summarize("Flagger-style, threshold 5", scenarios, [flagger(v) for v in minutely])
    families: dict[str, list[tuple[float, float]]] = {}
    for s, d in zip(scenarios, ours, strict=True):
        if s.regression and d.at is not None and s.onset is not None:
            seen = (d.at - d.breach) / MIN if d.breach else math.nan
            key = f"{s.family} ({s.criterion}, window {WINDOWS[s.criterion] / MIN:g}m)"
            families.setdefault(key, []).append(((d.at - s.onset) / MIN, seen))
    print(
        "\n| regression family (trainmaster) | onset → fail, median / max (min) "
        "| first breaching point → fail, max (min) |"
    )
    print("|---|---|---|")
    for family, values in families.items():
        onset = [a for a, _ in values]
        seen = [b for _, b in values if not math.isnan(b)]
        print(
            f"| {family} | {statistics.median(onset):.1f} / {max(onset):.1f} "
            f"| {max(seen) if seen else math.nan:.1f} |"
        )


def p2(services: int = 100, runs: int = 5) -> None:
    """One `gate run` over `services` services x 4 signals: the fleet path (one query per
    signal) against the per-service path (one query per service and signal, 8 in flight), same
    Prometheus, same run; their verdicts must agree."""
    samples = Samples()
    names = [f"svc-{i:04d}" for i in range(services)]
    for name in names:
        record(samples, Traffic(name), S - 65 * MIN, S)
    at = datetime.fromtimestamp(S, UTC)
    only = ["p95-latency", "burn-rate", "error-rate", "saturation"]
    policy = parse_policy(seed_policy_text(), "trainmaster.yaml")
    with prometheus_with(samples) as url:
        fleet_times, single_times, fleet_queries, single_queries = [], [], 0, 0
        cpu: list[tuple[float, float]] = []  # (this process, Prometheus) CPU seconds per run
        for _ in range(runs):
            metrics = PrometheusMetrics(url)
            began, ours, theirs = time.perf_counter(), time.process_time(), _cpu_of(url)
            fleet = evaluate_services(policy, "prod", names, metrics=metrics, at=at, only=only)
            fleet_times.append(time.perf_counter() - began)
            cpu.append((time.process_time() - ours, _cpu_of(url) - theirs))
            fleet_queries = metrics.queries
            metrics = PrometheusMetrics(url)
            began = time.perf_counter()
            single = _per_service(policy, names, metrics, at, only)
            single_times.append(time.perf_counter() - began)
            single_queries = metrics.queries
            assert [r.verdict for r in fleet.signals] == [r.verdict for r in single], "differ"
            assert fleet.verdict is Verdict.PASS, [
                s.reason for s in fleet.signals if s.verdict is not Verdict.PASS
            ][:3]
        cli = _cli_run(url, names)
    fleet_median, single_median = statistics.median(fleet_times), statistics.median(single_times)
    ours = statistics.median(c[0] for c in cpu)
    theirs = statistics.median(c[1] for c in cpu)
    print(
        f"| {services} x 4 | {fleet_median:.3f} s | {max(fleet_times):.3f} s "
        f"| {ours:.2f} s + {theirs:.2f} s | {fleet_queries} "
        f"| {single_median:.3f} s | {single_queries} | {single_median / fleet_median:.1f}x "
        f"| {cli:.3f} s | {os.getloadavg()[0]:.1f} |"
    )


def _cpu_of(url: str) -> float:
    """CPU seconds (user + system) the Prometheus serving `url` has used so far (Linux /proc)."""
    port = url.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if b"prometheus" not in cmdline or f"127.0.0.1:{port}".encode() not in cmdline:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return math.nan


def _per_service(
    policy: Policy, names: list[str], metrics: PrometheusMetrics, at: datetime, only: list[str]
) -> list[SignalResult]:
    """The per-service path: one evaluate_stage per service, 8 at a time as before the fleet."""

    def one(name: str) -> list[SignalResult]:
        report = evaluate_stage(policy, "prod", metrics=metrics, at=at, service=name, only=only)
        return report.signals

    with ThreadPoolExecutor(8) as pool:
        return [r for results in pool.map(one, names) for r in results]


def _cli_run(url: str, names: list[str]) -> float:
    """The same evaluation through the CLI, as a fresh process (start-up included)."""
    import subprocess
    import tempfile

    folder = Path(tempfile.mkdtemp())
    (folder / "trainmaster.yaml").write_text(seed_policy_text())
    args = [
        sys.executable,
        "-m",
        "trainmaster",
        "gate",
        "run",
        "--env",
        "prod",
        "--prometheus",
        url,
        "--at",
        datetime.fromtimestamp(S, UTC).isoformat(),
        "--json",
    ]
    for name in names:
        args += ["--service", name]
    for gate in ("p95-latency", "burn-rate", "error-rate", "saturation"):
        args += ["--only", gate]
    began = time.perf_counter()
    done = subprocess.run(args, cwd=folder, capture_output=True, text=True, check=False)
    took = time.perf_counter() - began
    assert done.returncode == 0, done.stderr[-500:]
    return took


if __name__ == "__main__":
    which = sys.argv[1:] or ["p1", "p2"]
    actions: dict[str, Callable[[], None]] = {
        "p1": p1,
        "p2": p2,
        "p2-1000": lambda: p2(1000, runs=3),
    }
    if any(w.startswith("p2") for w in which):
        print(
            "| services x signals | fleet median | fleet max | fleet CPU: ours + Prometheus "
            "| fleet queries | per-service median | per-service queries | ratio "
            "| CLI process (fleet) | load avg |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
    for name in which:
        actions[name]()

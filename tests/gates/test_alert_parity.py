"""A sustained criterion fails exactly when the equivalent Prometheus alerting rule fires.

For every sustained criterion of the seed policy (the seed plan's "p95 latency > 1.5s for 5
consecutive minutes" and "Saturation > 80% sustained 10 minutes", as `examples/seed` writes them)
and of the demo policy (`examples/demo`), one generated series set is written twice: backfilled
into a real Prometheus that trainmaster queries, and as `input_series` of a `promtool test rules`
file whose alerting rule has the same expression, `for:` and evaluation interval (the signal's
step). trainmaster is evaluated at every evaluation instant; promtool must agree at every one.

The rule being matched (prometheus/prometheus, rules/alerting.go, `AlertingRule.Eval`): an
alert goes pending at the first evaluation where the expression returns (`ActiveAt`), fires at
the first evaluation where it has been active for `for` (`ts - ActiveAt >= holdDuration`), and an
evaluation where it returns nothing resets it. promtool's unit tests run that same code.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.gates.traffic import Traffic, record
from tests.prometheus_server import Samples, _binary, _number, prometheus_with
from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.config import parse_policy
from trainmaster.config.model import Policy, Signal, SignalKind
from trainmaster.gates.queries import Scope
from trainmaster.gates.signals import evaluate_signal, plan_query
from trainmaster.gates.verdict import Verdict

ROOT = Path(__file__).resolve().parents[2]
BASE = 1_750_003_200.0  # time 0 of the promtool test; on every step grid (1s, 15s, 30s, 1m)


def _step_up(onset: float, high: float, low: float, blip: tuple[float, float] | None = None):  # type: ignore[no-untyped-def]
    """`low`, a short excursion to `high` during `blip`, then `high` from `onset` on."""

    def curve(t: float) -> float:
        if blip and blip[0] <= t < blip[1]:
            return high
        return high if t >= onset else low

    return curve


def _seed_traffic() -> Traffic:
    minute = 60.0
    return Traffic(
        "parity",
        # a 3-minute excursion (too short), then a breach from an instant off the 30 s grid
        latency=_step_up(
            BASE + 24 * minute + 7, 2.0, 0.3, (BASE + 12 * minute, BASE + 15 * minute)
        ),
        cpu=_step_up(BASE + 18 * minute + 11, 0.95, 0.3, (BASE + 6 * minute, BASE + 12 * minute)),
        # a scrape gap inside the breach: the alert resets and fires `for` after it again
        up=lambda t: not (BASE + 33 * minute < t < BASE + 35 * minute),
    )


def _demo_samples(samples: Samples, start: float, end: float) -> None:
    """The demo's signals at its 1 s scrape: latency histogram and the saturation gauge."""
    traffic = Traffic(
        "parity",
        latency=_step_up(start + 20.5, 2.0, 0.3, (start + 8, start + 11)),
        up=lambda t: not (start + 31 < t < start + 33),
    )
    record(samples, traffic, start, end, every=1.0)
    saturation = _step_up(start + 16.5, 0.9, 0.4, (start + 5, start + 9))
    for k in range(int(end - start) + 1):
        t = start + k
        if not (start + 40 < t < start + 42):
            samples.gauge("app_saturation_ratio", {"job": "parity"}, t, saturation(t))


def _seed_samples(samples: Samples, start: float, end: float) -> None:
    record(samples, _seed_traffic(), start, end, every=15.0)


CASES: list[tuple[str, Callable[[Samples, float, float], None], float, float]] = [
    # policy, series writer, scrape interval, span
    ("examples/seed/trainmaster.yaml", _seed_samples, 15.0, 60 * 60.0),
    ("examples/demo/trainmaster.yaml", _demo_samples, 1.0, 60.0),
]


def _input_series(samples: Samples, start: float, every: float, count: int) -> list[dict[str, str]]:
    """The same samples in promtool's notation: one value per interval from time 0, `_` where
    the scrape is missing."""
    by_series: dict[str, dict[int, float]] = defaultdict(dict)
    for lines in samples.lines.values():
        for series, t, v in lines:
            by_series[series][round((t - start) / every)] = v
    return [
        {
            "series": series,
            "values": " ".join(_number(p[k]) if k in p else "_" for k in range(count)),
        }
        for series, p in by_series.items()
    ]


def _sustained(policy: Policy) -> dict[str, Signal]:
    return {n: s for n, s in policy.signals.items() if s.kind is SignalKind.SUSTAINED}


def _firing(
    url: str, name: str, signal: Signal, scrape: timedelta, instants: list[float]
) -> list[bool]:
    metrics = PrometheusMetrics(url)
    scope = Scope("parity", "maestro")

    def fails(t: float) -> bool:
        at = datetime.fromtimestamp(t, UTC)
        result = evaluate_signal(
            name, signal, metrics=metrics, at=at, scope=scope, scrape_interval=scrape
        )
        return result.verdict is Verdict.FAIL

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(fails, instants))


def _rule(name: str, signal: Signal, scrape: timedelta) -> dict[str, str]:
    """The alerting rule of the very query trainmaster sends."""
    assert signal.duration is not None
    query, _, _ = plan_query(name, signal, Scope("parity", "maestro"), BASE, scrape)
    return {
        "alert": name,
        "expr": f"({query}) {signal.comparison} {signal.threshold!r}",
        "for": f"{int(signal.duration.total_seconds())}s",
    }


@pytest.mark.parametrize(("policy_path", "writer", "every", "span"), CASES)
def test_sustained_criteria_fire_when_prometheus_alerts_fire(
    policy_path: str,
    writer: Callable[[Samples, float, float], None],
    every: float,
    span: float,
    tmp_path: Path,
) -> None:
    policy = parse_policy((ROOT / policy_path).read_text(encoding="utf-8"), policy_path)
    signals = _sustained(policy)
    assert len(signals) == 2, signals  # p95 latency and saturation in both policies
    samples = Samples()
    writer(samples, BASE, BASE + span)
    count = round(span / every) + 1
    with prometheus_with(samples) as url:
        for name, signal in signals.items():
            step = signal.step.total_seconds()
            offsets = [k * step for k in range(1, round(span / step) + 1)]
            scrape = policy.metrics.scrape_interval
            fired = _firing(url, name, signal, scrape, [BASE + o for o in offsets])
            # the data must exercise both sides: the breach, and the instants before it fires
            assert any(fired) and not all(fired), (name, fired)
            rule = _rule(name, signal, scrape)
            _promtool_agrees(tmp_path / name, rule, signal, samples, every, count, offsets, fired)


def _promtool_agrees(
    folder: Path,
    rule: dict[str, str],
    signal: Signal,
    samples: Samples,
    every: float,
    count: int,
    offsets: list[float],
    fired: list[bool],
) -> None:
    folder.mkdir()
    name = rule["alert"]
    step = signal.step.total_seconds()
    rules = {"groups": [{"name": "parity", "interval": f"{step:g}s", "rules": [rule]}]}
    (folder / "rules.yml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    tests = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": f"{step:g}s",
        "tests": [
            {
                "interval": f"{every:g}s",
                "input_series": _input_series(samples, BASE, every, count),
                "alert_rule_test": [
                    {
                        "eval_time": f"{offset:g}s",
                        "alertname": name,
                        "exp_alerts": [{"exp_labels": {}}] if fails else [],
                    }
                    for offset, fails in zip(offsets, fired, strict=True)
                ],
            }
        ],
    }
    (folder / "test.yml").write_text(yaml.safe_dump(tests, width=1 << 20), encoding="utf-8")
    done = subprocess.run(
        [_binary("promtool"), "test", "rules", "test.yml"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    first = offsets[fired.index(True)]
    assert done.returncode == 0, (
        f"{name} (trainmaster first fails at +{first:g}s):\n" + (done.stdout + done.stderr)[-3000:]
    )

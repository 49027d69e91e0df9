"""One real Prometheus per test package, backfilled with a service per scenario."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulators.kubernetes.fixtures import k8s  # noqa: F401 - the Kubernetes emulator
from tests.gates.traffic import Traffic, constant, record
from tests.prometheus_server import Samples, prometheus_with
from trainmaster.config import parse_policy
from trainmaster.config.model import Policy
from trainmaster.config.seed import seed_policy_text

T0 = 1_750_000_200.0  # evaluation instant of the scenarios; on every step grid (15s, 30s, 1m)
MIN = 60.0


def after(onset: float, value: float, before: float) -> constant:  # type: ignore[valid-type]
    return lambda t: value if t > onset else before


SCENARIOS = [
    Traffic("healthy"),
    Traffic("slow6", latency=after(T0 - 6 * MIN, 2.0, 0.3)),
    Traffic("slow4", latency=after(T0 - 4 * MIN, 2.0, 0.3)),
    Traffic("errors5", error_ratio=after(T0 - 10 * MIN, 0.05, 0.0)),
    Traffic("errors1", error_ratio=after(T0 - 5 * MIN, 0.01, 0.0)),
    Traffic("burning", error_ratio=after(T0 - 70 * MIN, 0.005, 0.0)),
    Traffic("idle", rps=constant(0.0)),
    Traffic("hot", cpu=after(T0 - 12 * MIN, 0.9, 0.3)),
    Traffic(
        "busy", cpu=constant(0.5)
    ),  # half its limit: twice that if cAdvisor's pod series counted
    Traffic(
        "gappy",
        latency=after(T0 - 8 * MIN, 2.0, 0.3),
        up=lambda t: not (T0 - 4 * MIN < t < T0 - 2 * MIN),
    ),
]


@pytest.fixture(scope="package")
def golden_prometheus() -> Iterator[str]:
    samples = Samples()
    for traffic in SCENARIOS:
        record(samples, traffic, T0 - 2 * 3600, T0 + 5 * MIN)
    with prometheus_with(samples) as url:
        yield url


@pytest.fixture
def seed_policy() -> Policy:
    return parse_policy(seed_policy_text(), "trainmaster.yaml")


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "trainmaster.yaml"
    path.write_text(seed_policy_text(), encoding="utf-8")
    return path


AT_T0 = "2025-06-15T15:10:00Z"  # T0 in RFC 3339

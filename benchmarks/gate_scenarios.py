"""The P1 scenario corpus: services with known ground truth, as a scrape would have recorded them.

Each scenario is one service (its own `job`) observed from two hours before the promotion `S`
(so the 1 h burn window has history) to 40 minutes after. Regressions carry their onset — the
instant the underlying signal truly crosses the criterion's threshold; benign cases must never
cause a rollback. `corpus(seed)` is deterministic.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from tests.gates.traffic import Traffic

S = 1_760_000_400.0  # promotion instant; on every step grid
MIN = 60.0
WATCH = 30 * MIN


@dataclass(frozen=True)
class Scenario:
    name: str
    family: str
    traffic: Traffic
    regression: bool
    onset: float | None = None  # when the criterion's signal truly crosses its threshold
    criterion: str = ""  # which rollback criterion should catch it


def _noise(rng: random.Random, base: float, spread: float) -> Callable[[float], float]:
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
    return lambda t: max(
        0.0, base + spread * sum(math.sin(t / (37 + 23 * i) + p) for i, p in enumerate(phases)) / 3
    )


def _after(
    onset: float, value: Callable[[float], float], before: Callable[[float], float]
) -> Callable[[float], float]:
    return lambda t: value(t) if t >= onset else before(t)


def _ramp(start: float, t0: float, slope: float) -> Callable[[float], float]:
    return lambda t: t0 + max(0.0, t - start) * slope


def regressions(rng: random.Random) -> list[Scenario]:
    out: list[Scenario] = []
    for i in range(8):  # latency step: p95 jumps well over 1.5 s
        onset = S + rng.uniform(1, 12) * MIN
        slow = rng.uniform(2.0, 4.0)
        t = Traffic(
            f"lat-step-{i}", latency=_after(onset, lambda _t, s=slow: s, _noise(rng, 0.3, 0.1))
        )
        out.append(Scenario(t.service, "latency step", t, True, onset, "p95-latency"))
    for i in range(6):  # latency creep: the slow share's latency rises steadily
        start = S + rng.uniform(0, 5) * MIN
        slope = rng.uniform(0.5, 1.5) / MIN  # seconds of latency per minute
        t = Traffic(f"lat-creep-{i}", latency=_ramp(start, 0.3, slope))
        crossing = start + (1.5 - 0.3) / slope  # p95 sits mid-bucket: crosses when latency > 1.5
        out.append(Scenario(t.service, "latency creep", t, True, crossing, "p95-latency"))
    for i in range(8):  # error step
        onset = S + rng.uniform(1, 12) * MIN
        ratio = rng.uniform(0.05, 0.3)
        t = Traffic(
            f"err-step-{i}", error_ratio=_after(onset, lambda _t, r=ratio: r, lambda _t: 0.0)
        )
        out.append(Scenario(t.service, "error step", t, True, onset, "error-rate"))
    for i in range(6):  # intermittent errors: 30 s bursts every minute
        onset = S + rng.uniform(1, 10) * MIN
        burst = rng.uniform(0.1, 0.3)
        err = _after(onset, lambda t, b=burst: b if (t % 60) < 30 else 0.0, lambda _t: 0.0)
        out.append(
            Scenario(
                f"err-burst-{i}",
                "intermittent errors",
                Traffic(f"err-burst-{i}", error_ratio=err),
                True,
                onset,
                "error-rate",
            )
        )
    for i in range(6):  # slow leak: CPU climbs through 80 % of the limit
        start = S + rng.uniform(0, 5) * MIN
        slope = rng.uniform(0.04, 0.1) / MIN
        t = Traffic(f"cpu-leak-{i}", cpu=_ramp(start, 0.4, slope))
        out.append(Scenario(t.service, "slow leak", t, True, start + 0.4 / slope, "saturation"))
    for i in range(6):  # slow burn: errors under 2 % that still burn the budget > 2x for an hour
        onset = S - rng.uniform(40, 55) * MIN
        ratio = rng.uniform(0.004, 0.012)
        t = Traffic(f"burn-{i}", error_ratio=_after(onset, lambda _t, r=ratio: r, lambda _t: 0.0))
        out.append(Scenario(t.service, "slow burn", t, True, onset, "burn-rate"))
    return out


def benign(rng: random.Random) -> list[Scenario]:
    out: list[Scenario] = []
    for i in range(6):
        t = Traffic(
            f"noise-{i}",
            latency=_noise(rng, 0.5, 0.6),
            error_ratio=_noise(rng, 0.0004, 0.0004),
            cpu=_noise(rng, 0.5, 0.3),
        )
        out.append(Scenario(t.service, "noise", t, False))
    for i in range(5):
        start = S + rng.uniform(2, 20) * MIN
        rps = lambda t, a=start: 100.0 if a <= t < a + 3 * MIN else 20.0  # noqa: E731
        out.append(Scenario(f"spike-{i}", "traffic spike", Traffic(f"spike-{i}", rps=rps), False))
    for i in range(5):
        start = S + rng.uniform(2, 20) * MIN
        lat = lambda t, a=start: 3.0 if a <= t < a + 2 * MIN else 0.3  # noqa: E731
        out.append(
            Scenario(
                f"lat-blip-{i}", "latency blip < 5m", Traffic(f"lat-blip-{i}", latency=lat), False
            )
        )
    for i in range(4):
        start = S + rng.uniform(2, 20) * MIN
        cpu = lambda t, a=start: 0.95 if a <= t < a + 6 * MIN else 0.4  # noqa: E731
        out.append(
            Scenario(
                f"cpu-blip-{i}", "saturation blip < 10m", Traffic(f"cpu-blip-{i}", cpu=cpu), False
            )
        )
    for i in range(4):
        start = S + rng.uniform(2, 20) * MIN
        err = lambda t, a=start: 0.15 if a <= t < a + 30 else 0.0  # noqa: E731
        out.append(
            Scenario(
                f"err-blip-{i}", "error blip", Traffic(f"err-blip-{i}", error_ratio=err), False
            )
        )
    for i in range(5):
        start = S + rng.uniform(2, 20) * MIN
        length = rng.uniform(1.5, 4) * MIN
        up = lambda t, a=start, n=length: not (a <= t < a + n)  # noqa: E731
        out.append(Scenario(f"gap-{i}", "scrape gap", Traffic(f"gap-{i}", up=up), False))
    for i in range(3):
        out.append(
            Scenario(f"idle-{i}", "zero traffic", Traffic(f"idle-{i}", rps=lambda _t: 0.0), False)
        )
    return out


def corpus(seed: int = 7) -> list[Scenario]:
    rng = random.Random(seed)
    return regressions(rng) + benign(rng)

"""PromQL functions of the embedded subset, with Prometheus 2.x's exact arithmetic."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence


def extrapolated_rate(
    points: Sequence[tuple[float, float]], t: float, span: float, *, is_rate: bool
) -> float | None:
    """`rate`/`increase` as Prometheus computes them: counter resets corrected, the sampled
    interval extrapolated to the window's edges (by at most half an average interval, and never
    below zero for a counter), divided by the window for a rate."""
    if len(points) < 2:
        return None
    first_t, first_v = points[0]
    last_t, last_v = points[-1]
    result = last_v - first_v
    previous = first_v
    for _, value in points[1:]:
        if value < previous:
            result += previous  # a counter reset: the counter restarted from zero
        previous = value
    sampled = last_t - first_t
    to_start = first_t - (t - span)
    to_end = t - last_t
    average = sampled / (len(points) - 1)
    if result > 0 and first_v >= 0:
        to_start = min(to_start, sampled * (first_v / result))
    threshold = average * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else average / 2
    interval += to_end if to_end < threshold else average / 2
    result *= interval / sampled
    return result / span if is_rate else result


def instant_rate(points: Sequence[tuple[float, float]]) -> float | None:
    if len(points) < 2:
        return None
    (t1, v1), (t2, v2) = points[-2], points[-1]
    delta = v2 if v2 < v1 else v2 - v1
    return delta / (t2 - t1) if t2 > t1 else None


def over_time(name: str, points: Sequence[tuple[float, float]]) -> float | None:
    if not points:
        return None
    values = [v for _, v in points]
    if name == "count_over_time":
        return float(len(values))
    if name == "sum_over_time":
        return math.fsum(values)
    if name == "avg_over_time":
        return math.fsum(values) / len(values)
    return max(values) if name == "max_over_time" else min(values)


def bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """`histogram_quantile` over (upper bound, cumulative count) pairs, as Prometheus 2.x does."""
    if math.isnan(q) or not 0 <= q <= 1:
        return q if math.isnan(q) else math.copysign(math.inf, q)  # q < 0: -Inf, q > 1: +Inf
    merged: dict[float, float] = {}
    for upper, count in buckets:
        merged[upper] = merged.get(upper, 0.0) + count
    ordered = sorted(merged.items())
    if len(ordered) < 2 or not math.isinf(ordered[-1][0]):
        return math.nan
    return _interpolate(q, ordered)


def _interpolate(q: float, ordered: list[tuple[float, float]]) -> float:
    highest = 0.0
    monotonic = []
    for upper, count in ordered:  # rates of buckets can jitter; force them monotonic
        highest = max(highest, count)
        monotonic.append((upper, highest))
    observations = monotonic[-1][1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = next((i for i, (_, c) in enumerate(monotonic[:-1]) if c >= rank), len(monotonic) - 1)
    if b == len(monotonic) - 1:
        return monotonic[-2][0]
    if b == 0 and monotonic[0][0] <= 0:
        return monotonic[0][0]
    start, end, count = 0.0, monotonic[b][0], monotonic[b][1]
    if b > 0:
        start = monotonic[b - 1][0]
        count -= monotonic[b - 1][1]
        rank -= monotonic[b - 1][1]
    return start + (end - start) * (rank / count)


def label_replace(
    labels: dict[str, str], dst: str, replacement: str, src: str, regex: str
) -> dict[str, str]:
    match = re.fullmatch(regex, labels.get(src, ""))
    if match is None:
        return labels
    template = re.sub(
        r"\$\{(\w+)\}|\$(\d+)", lambda m: "\\g<" + (m.group(1) or m.group(2)) + ">", replacement
    )
    value = match.expand(template)
    out = dict(labels)
    if value:
        out[dst] = value
    else:
        out.pop(dst, None)
    return out

"""Ratio queries (`errors / requests`) sent as their two parts in one query.

In PromQL `sum(rate(errors[5m])) / sum(rate(total[5m]))` is *empty* when no error series exists
yet (a healthy service that never answered 5xx), which would make a healthy service look like
missing data. Fetching both parts, tagged, lets a missing numerator count as zero while a missing
or zero denominator (no traffic: 0/0) stays no data."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from trainmaster.gates.port import Series

PART = "tm_part"


def ratio_query(numerator: str, denominator: str) -> str:
    return (
        f'label_replace({numerator}, "{PART}", "num", "", "")'
        f' or label_replace({denominator}, "{PART}", "den", "", "")'
    )


def _key(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in labels.items() if k not in (PART, "__name__")))


def ratio_series(series: Sequence[Series]) -> list[Series]:
    """One ratio series per label set of the denominator, on the denominator's instants."""
    parts: dict[str, dict[tuple[tuple[str, str], ...], dict[float, float]]] = {"num": {}, "den": {}}
    for s in series:
        part = s.labels.get(PART)
        if part in parts:
            parts[part][_key(s.labels)] = dict(s.points)
    out = []
    for key, den in parts["den"].items():
        num = parts["num"].get(key, {})
        points = tuple((t, divide(num.get(t, 0.0), d)) for t, d in sorted(den.items()))
        out.append(Series(labels=dict(key), points=points))
    return out


def divide(a: float, b: float) -> float:
    """IEEE division the way PromQL does it: 0/0 is NaN, x/0 is ±Inf."""
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b

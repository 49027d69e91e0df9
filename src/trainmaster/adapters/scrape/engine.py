"""Evaluating the PromQL subset over the scraped samples, instant by instant.

Vectors are dicts from label sets to values; metric names are dropped by functions, aggregations
and arithmetic, as in Prometheus. One-to-one vector matching on all labels but the name (or on /
ignoring the listed ones); several series with one signature on a side is an error, as there."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

from trainmaster.adapters.scrape import functions as fn
from trainmaster.adapters.scrape.samples import Labels, SampleStore
from trainmaster.gates.promql import (
    Aggregate,
    Binary,
    Call,
    Expr,
    Negate,
    Number,
    Selector,
    String,
    Unsupported,
)
from trainmaster.gates.ratio import divide

Vector = dict[Labels, float]
Value = float | Vector

_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": divide,
}


def _drop_name(labels: Labels) -> Labels:
    return tuple(p for p in labels if p[0] != "__name__")


def _labels(mapping: dict[str, str]) -> Labels:
    return tuple(sorted(mapping.items()))


def evaluate(expr: Expr, store: SampleStore, t: float) -> Value:
    if isinstance(expr, Number):
        return expr.value
    if isinstance(expr, Negate):
        inner = evaluate(expr.expr, store, t)
        return -inner if isinstance(inner, float) else {_drop_name(k): -v for k, v in inner.items()}
    if isinstance(expr, Selector):
        if expr.range is not None:
            raise Unsupported("a range vector must be the argument of a function like rate()")
        found = ((labels, track.latest(t)) for labels, track in store.select(expr.matchers))
        return {labels: v for labels, v in found if v is not None}
    if isinstance(expr, Call):
        return _call(expr, store, t)
    if isinstance(expr, Aggregate):
        return _aggregate(expr, _vector(evaluate(expr.expr, store, t), expr.op))
    if isinstance(expr, Binary):
        return _binary(expr, evaluate(expr.lhs, store, t), evaluate(expr.rhs, store, t))
    raise Unsupported(f"a string is not a value here: {expr!r}")


def _vector(value: Value, where: str) -> Vector:
    if isinstance(value, float):
        raise Unsupported(f"{where}() expects a vector, got a scalar")
    return value


def _call(call: Call, store: SampleStore, t: float) -> Value:
    name, args = call.name, call.args
    if name in ("rate", "increase", "irate") or name.endswith("_over_time"):
        selector = args[0]
        if not isinstance(selector, Selector) or selector.range is None:
            raise Unsupported(f"{name}() needs a range selector like metric[5m]")
        out: Vector = {}
        for labels, track in store.select(selector.matchers):
            points = track.window(t, selector.range)
            if name == "irate":
                value = fn.instant_rate(points)
            elif name.endswith("_over_time"):
                value = fn.over_time(name, points)
            else:
                value = fn.extrapolated_rate(points, t, selector.range, is_rate=name == "rate")
            if value is not None:
                out[_drop_name(labels)] = value
        return out
    if name == "vector":
        return {(): _scalar(evaluate(args[0], store, t), name)}
    if name == "histogram_quantile":
        q = _scalar(evaluate(args[0], store, t), name)
        return _quantiles(q, _vector(evaluate(args[1], store, t), name))
    texts = [a.value if isinstance(a, String) else None for a in args[1:]]
    if None in texts:
        raise Unsupported("label_replace() takes four string arguments after the vector")
    dst, replacement, src, regex = (str(x) for x in texts)
    vector = _vector(evaluate(args[0], store, t), name)
    return {
        _labels(fn.label_replace(dict(k), dst, replacement, src, regex)): v
        for k, v in vector.items()
    }


def _scalar(value: Value, where: str) -> float:
    if not isinstance(value, float):
        raise Unsupported(f"{where}() expects a number")
    return value


def _quantiles(q: float, vector: Vector) -> Vector:
    groups: dict[Labels, list[tuple[float, float]]] = defaultdict(list)
    for labels, value in vector.items():
        mapping = dict(labels)
        if "le" not in mapping:
            continue
        try:
            upper = float(mapping.pop("le"))
        except ValueError:
            continue
        mapping.pop("__name__", None)
        groups[_labels(mapping)].append((upper, value))
    return {labels: fn.bucket_quantile(q, buckets) for labels, buckets in groups.items()}


def _aggregate(agg: Aggregate, vector: Vector) -> Vector:
    groups: dict[Labels, list[float]] = defaultdict(list)
    for labels, value in vector.items():
        if agg.without:
            key = tuple(p for p in _drop_name(labels) if p[0] not in agg.labels)
        else:
            key = tuple(p for p in labels if p[0] in agg.labels)
        groups[key].append(value)
    return {key: _fold(agg.op, values) for key, values in groups.items()}


def _fold(op: str, values: list[float]) -> float:
    if op == "sum":
        return math.fsum(values) if not any(math.isnan(v) for v in values) else math.nan
    if op == "avg":
        return math.fsum(values) / len(values)
    if op == "count":
        return float(len(values))
    numbers = [v for v in values if not math.isnan(v)] or [math.nan]
    return max(numbers) if op == "max" else min(numbers)


def _binary(expr: Binary, lhs: Value, rhs: Value) -> Value:
    if expr.op == "or":
        return _or(_vector(lhs, "or"), _vector(rhs, "or"))
    apply = _ARITHMETIC[expr.op]
    if isinstance(lhs, float) and isinstance(rhs, float):
        return apply(lhs, rhs)
    if isinstance(lhs, float):
        assert not isinstance(rhs, float)
        return {_drop_name(k): apply(lhs, v) for k, v in rhs.items()}
    if isinstance(rhs, float):
        return {_drop_name(k): apply(v, rhs) for k, v in lhs.items()}
    return _match(expr, lhs, rhs, apply)


def _signature(labels: Labels, expr: Binary) -> Labels:
    if expr.on is not None:
        return tuple(p for p in labels if p[0] in expr.on)
    return tuple(p for p in _drop_name(labels) if p[0] not in expr.ignoring)


def _match(
    expr: Binary, lhs: Vector, rhs: Vector, apply: Callable[[float, float], float]
) -> Vector:
    right: dict[Labels, float] = {}
    for labels, value in rhs.items():
        key = _signature(labels, expr)
        if key in right:
            raise Unsupported("many-to-many matching: several series on the right share labels")
        right[key] = value
    out: Vector = {}
    for labels, value in lhs.items():
        key = _signature(labels, expr)
        if key not in right:
            continue
        result = key if expr.on is not None else _signature(labels, expr)
        if result in out:
            raise Unsupported("many-to-many matching: several series on the left share labels")
        out[result] = apply(value, right[key])
    return out


def _or(lhs: Vector, rhs: Vector) -> Vector:
    seen = {_drop_name(k) for k in lhs}
    return {**lhs, **{k: v for k, v in rhs.items() if _drop_name(k) not in seen}}

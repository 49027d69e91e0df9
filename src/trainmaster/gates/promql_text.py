"""PromQL text from the parsed subset, and splitting a ratio query into its two parts."""

from __future__ import annotations

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
    parse,
)


def render(expr: Expr) -> str:
    """PromQL text for a parsed expression (fully parenthesized where it matters)."""
    if isinstance(expr, Number | String):
        return _render_literal(expr)
    if isinstance(expr, Selector):
        return _render_selector(expr)
    if isinstance(expr, Call):
        return f"{expr.name}({', '.join(render(a) for a in expr.args)})"
    if isinstance(expr, Aggregate):
        group = f" {'without' if expr.without else 'by'} ({', '.join(expr.labels)})"
        grouping = group if expr.labels or expr.without else ""
        return f"{expr.op}{grouping} ({render(expr.expr)})"
    if isinstance(expr, Negate):
        return f"-({render(expr.expr)})"
    return _render_binary(expr)


def _render_literal(expr: Number | String) -> str:
    if isinstance(expr, Number):
        return repr(expr.value) if expr.value == expr.value else "NaN"
    return '"' + expr.value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _render_selector(expr: Selector) -> str:
    name = next((m.value for m in expr.matchers if m.name == "__name__" and m.op == "="), "")
    rest = [m for m in expr.matchers if not (m.name == "__name__" and m.op == "=")]
    body = ",".join(f"{m.name}{m.op}{render(String(m.value))}" for m in rest)
    text = name + ("{" + body + "}" if rest or not name else "")
    return text + (f"[{format_range(expr.range)}]" if expr.range is not None else "")


def _render_binary(expr: Binary) -> str:
    modifier = ""
    if expr.on is not None:
        modifier = f" on ({', '.join(expr.on)})"
    elif expr.ignoring:
        modifier = f" ignoring ({', '.join(expr.ignoring)})"
    return f"({render(expr.lhs)}) {expr.op}{modifier} ({render(expr.rhs)})"


def format_range(seconds: float) -> str:
    from datetime import timedelta

    from trainmaster.config.durations import format_duration

    return format_duration(timedelta(seconds=seconds))


def split_ratio(query: str) -> tuple[str, str] | None:
    """`A / B` at the top level (one-to-one on all labels) as (A, B); None for anything else."""
    try:
        expr = parse(query)
    except Unsupported:
        return None
    if isinstance(expr, Binary) and expr.op == "/" and expr.on is None and not expr.ignoring:
        return render(expr.lhs), render(expr.rhs)
    return None

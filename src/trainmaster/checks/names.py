"""Job names and inputs as values: what a name becomes, or what it could become. Pure."""

from __future__ import annotations

import re
from typing import Any, Literal

from trainmaster.checks.expressions import (
    ExpressionError,
    Partial,
    Unknown,
    evaluate,
    has_expression,
    interpolate,
    segments,
)
from trainmaster.checks.workflow import Workflow

Status = Literal["exact", "unevaluated", "remote"]


def call_inputs(given: Any, called: Workflow, contexts: dict[str, Any]) -> Partial:
    """The called workflow's `inputs`: its defaults, overridden by the caller's `with:`."""
    inputs = Partial({k: v for k, v in called.input_defaults if v is not None})
    unknown: set[str] = set()
    for key, value in (given or {}).items() if isinstance(given, dict) else ():
        try:
            inputs[str(key)] = value_of(value, contexts)
        except (Unknown, ExpressionError):
            unknown.add(str(key))
            inputs.pop(str(key), None)
    for key, _default in called.input_defaults:
        if key not in inputs and key not in unknown:
            inputs[key] = None  # declared without a default and not given: null, not unknown
    return inputs


def value_of(value: Any, contexts: dict[str, Any]) -> Any:
    if not isinstance(value, str) or not has_expression(value):
        return value
    parts = segments(value)
    if len(parts) == 1 and parts[0][0]:  # a whole-value expression keeps its type
        return evaluate(parts[0][1], contexts)
    return interpolate(value, contexts)


def display(raw: str, contexts: dict[str, Any]) -> tuple[str, Status, str]:
    if not has_expression(raw):
        return raw, "exact", ""
    try:
        return interpolate(raw, contexts), "exact", ""
    except Unknown as e:
        return raw, "unevaluated", f"the name reads {e}, known only during the run"
    except ExpressionError as e:
        return raw, "unevaluated", f"the name's expression is invalid: {e}"


def pattern(context: str) -> str:
    """A regex for the contexts an unevaluated name could become: each `${{ }}` is anything."""
    out: list[str] = []
    try:
        parts = segments(context)
    except ExpressionError:
        parts = [(False, context)]
    for is_expr, text in parts:
        out.append(".*" if is_expr else re.escape(text))
    return "".join(out)

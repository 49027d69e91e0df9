"""Values of GitHub Actions expressions: text conversion, loose equality, built-in functions.

GitHub's rules: null is '', booleans 'true'/'false', numbers print without a trailing .0;
strings compare case-insensitively; other mixed types compare as numbers.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any


class Unknown(Exception):
    """The expression needs a value that is not known before the run."""


class ExpressionError(ValueError):
    """The expression is not valid syntax."""


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return str(value)


def number_text(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if float(value).is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(float(value))


def truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(int(value, 16)) if value.strip().startswith("0x") else float(value or 0)
        except ValueError:
            return math.nan
    return math.nan


def equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if isinstance(left, list | dict) or isinstance(right, list | dict):
        return left is right
    if type(left) is type(right) or (numeric(left) and numeric(right)):
        return bool(left == right)
    return _number(left) == _number(right)


def numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return equal(left, right)
    if op == "!=":
        return not equal(left, right)
    if isinstance(left, str) and isinstance(right, str):
        a, b = left.casefold(), right.casefold()
    else:
        a, b = _number(left), _number(right)  # type: ignore[assignment]
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _format(template: Any, *args: Any) -> str:
    text = to_text(template)

    def fill(match: re.Match[str]) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        index = int(match.group(1))
        if index >= len(args):
            raise ExpressionError(f"format: no argument {index}")
        return to_text(args[index])

    return re.sub(r"\{\{|\}\}|\{(\d+)\}", fill, text)


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, list):
        return any(equal(item, needle) for item in haystack)
    return to_text(needle).casefold() in to_text(haystack).casefold()


def _join(items: Any, separator: Any = ",") -> str:
    if isinstance(items, list):
        return to_text(separator).join(to_text(i) for i in items)
    return to_text(items)


def _run_time(name: str) -> Callable[..., Any]:
    def unknown(*_: Any) -> Any:
        raise Unknown(f"{name}()")

    return unknown


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "contains": _contains,
    "startswith": lambda a, b: to_text(a).casefold().startswith(to_text(b).casefold()),
    "endswith": lambda a, b: to_text(a).casefold().endswith(to_text(b).casefold()),
    "format": _format,
    "join": _join,
    "tojson": lambda v: json.dumps(v, indent=2),
    "fromjson": lambda v: json.loads(to_text(v)),
    "hashfiles": _run_time("hashFiles"),
    "success": _run_time("success"),
    "failure": _run_time("failure"),
    "always": lambda: True,
    "cancelled": _run_time("cancelled"),
}

"""Matrix expansion and the check-name suffix GitHub gives each combination.

Rules (GitHub's "Running variations of jobs in a workflow"): the cartesian product of the keys in
order; `exclude` removes every combination matching all of an entry's pairs (partial match for
nested values), applied before `include`; each `include` entry extends every combination whose
original values it does not contradict, overwriting only added values, and becomes a new
combination when it extends none. A job reports `name (v1, v2, …)` with the combination's leaf
values in order, nulls and empty strings left out. At most 256 combinations.

The matrix is untrusted (a pull request's author writes it): `count` brackets the number of
combinations from the list lengths alone, so a 400-byte file of ten keys with six values each is
refused as 60 million combinations without building one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trainmaster.checks.expressions import evaluate, has_expression, interpolate, segments
from trainmaster.checks.values import number_text

MAX_COMBINATIONS = 256  # GitHub: "A matrix will generate a maximum of 256 jobs per workflow run"
MAX_PRODUCT = 65_536  # combinations built before `exclude` thins them; more is refused unbuilt

Combination = dict[str, Any]


class MatrixError(ValueError):
    """GitHub would reject this matrix."""


@dataclass(frozen=True)
class Expansion:
    combinations: tuple[tuple[tuple[str, Any], ...], ...]  # ordered (key, value) pairs each

    def as_dicts(self) -> list[Combination]:
        return [dict(c) for c in self.combinations]


def expand(matrix: Any) -> Expansion | None:
    """All combinations, or None when the matrix comes from an expression (known at run time)."""
    if matrix is None:
        return Expansion(((),))
    if isinstance(matrix, str) or not isinstance(matrix, dict):
        if isinstance(matrix, str) and has_expression(matrix):
            return None
        raise MatrixError("strategy.matrix must be a mapping")
    if _dynamic(matrix):
        return None
    low, _ = count(matrix)
    if low > MAX_COMBINATIONS:
        raise MatrixError(f"the matrix has {low} combinations; GitHub allows {MAX_COMBINATIONS}")
    whole = _size(matrix)
    if whole > MAX_PRODUCT:
        raise MatrixError(
            f"the matrix has {whole} combinations before exclude; "
            f"trainmaster expands at most {MAX_PRODUCT}"
        )
    product = _product(matrix)
    keys = list(product[0]) if product else []
    product = _exclude(product, matrix.get("exclude") or [])
    if not product:
        product, keys = [{}], []  # everything excluded: GitHub runs the include entries alone
    extra = _include(product, keys, matrix.get("include") or [])
    combinations = (product if keys or not extra else []) + extra
    if len(combinations) > MAX_COMBINATIONS:
        raise MatrixError(f"the matrix has {len(combinations)} combinations; GitHub allows 256")
    return Expansion(tuple(tuple(c.items()) for c in combinations))


def count(matrix: dict[str, Any]) -> tuple[int, int]:
    """At least and at most how many combinations the matrix has, from its list lengths only:
    each `exclude` entry removes at most the share of combinations its pairs pin down, each
    `include` entry adds at most one."""
    whole = _size(matrix)
    removable = 0
    exclude = matrix.get("exclude")
    for entry in exclude if isinstance(exclude, list) else []:
        pinned = 1
        for key in entry if isinstance(entry, dict) else ():
            values = matrix.get(key)
            pinned *= len(values) if isinstance(values, list) and key not in _SPECIAL else 1
        removable += whole // pinned if pinned else 0
    include = matrix.get("include")
    extra = len(include) if isinstance(include, list) else 0
    return max(whole - removable, 0), whole + extra


_SPECIAL = ("include", "exclude")


def _size(matrix: dict[str, Any]) -> int:
    whole = 1
    for key, values in matrix.items():
        if key in _SPECIAL:
            continue
        if not isinstance(values, list):
            raise MatrixError(f"strategy.matrix.{key} must be a list of values")
        whole *= len(values)
    return whole


def resolve(value: Any, contexts: Mapping[str, Any]) -> Any:
    """The matrix with its expressions evaluated (`${{ fromJSON(inputs.matrix) }}` in a called
    workflow is known from the caller); raises `Unknown` when a value needs the run."""
    if isinstance(value, str) and has_expression(value):
        parts = segments(value)
        if len(parts) == 1 and parts[0][0]:  # a whole expression keeps its type (a list, a map)
            return evaluate(parts[0][1], contexts)
        return interpolate(value, contexts)
    if isinstance(value, dict):
        return {k: resolve(v, contexts) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, contexts) for v in value]
    return value


def _dynamic(value: Any) -> bool:
    """Whether any part of the matrix is an expression, known only when the run starts."""
    if isinstance(value, str):
        return has_expression(value)
    if isinstance(value, dict):
        return any(_dynamic(v) for v in value.values())
    if isinstance(value, list):
        return any(_dynamic(v) for v in value)
    return False


def _product(matrix: dict[str, Any]) -> list[Combination]:
    product: list[Combination] = [{}]
    for key, values in matrix.items():
        if key in _SPECIAL:
            continue
        if not isinstance(values, list):
            raise MatrixError(f"strategy.matrix.{key} must be a list of values")
        product = [{**c, key: v} for c in product for v in values]
    return product


def _exclude(product: list[Combination], exclude: Any) -> list[Combination]:
    if not isinstance(exclude, list):
        raise MatrixError("strategy.matrix.exclude must be a list of mappings")
    keys = set(product[0]) if product else set()
    for entry in exclude:
        if not isinstance(entry, dict):
            raise MatrixError("strategy.matrix.exclude entries must be mappings")
        for key in entry:
            if key not in keys:
                raise MatrixError(f"exclude names {key!r}, which is not a matrix key")
        product = [c for c in product if not all(matches(c[k], v) for k, v in entry.items())]
    return product


def _include(product: list[Combination], keys: list[str], include: Any) -> list[Combination]:
    if not isinstance(include, list):
        raise MatrixError("strategy.matrix.include must be a list of mappings")
    extra: list[Combination] = []
    for entry in include:
        if not isinstance(entry, dict):
            raise MatrixError("strategy.matrix.include entries must be mappings")
        extended = False
        for combination in product if keys else []:
            if all(k not in entry or matches(combination[k], entry[k]) for k in keys):
                extended = True
                combination.update({k: v for k, v in entry.items() if k not in keys})
        if not extended:
            extra.append(dict(entry))
    return extra


def matches(value: Any, pattern: Any) -> bool:
    """GitHub's matching for exclude/include: equal values; mappings and lists partially."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and matches(value[k], v) for k, v in pattern.items()
        )
    if isinstance(pattern, list):
        return (
            isinstance(value, list)
            and len(value) >= len(pattern)
            and all(matches(a, b) for a, b in zip(value, pattern, strict=False))
        )
    if _number(value) and _number(pattern):  # GitHub's numbers are all doubles: 3 == 3.0
        return bool(value == pattern)
    return type(value) is type(pattern) and bool(value == pattern)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def suffix(combination: tuple[tuple[str, Any], ...]) -> str:
    """` (v1, v2)` for a combination, or "" when it has no displayable value."""
    values = [text for _, value in combination for text in _leaves(value)]
    return f" ({', '.join(values)})" if values else ""


def _leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _leaves(v)]
    if isinstance(value, list):
        return [t for v in value for t in _leaves(v)]
    if value is None or value == "":
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, int | float):
        return [number_text(value)]
    return [str(value)]

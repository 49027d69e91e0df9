"""Matrix expansion, expression evaluation and filter patterns, at their edges."""

from __future__ import annotations

from typing import Any

import pytest

from trainmaster.checks.expressions import (
    ExpressionError,
    Partial,
    Unknown,
    evaluate,
    interpolate,
    references,
)
from trainmaster.checks.matrix import MatrixError, expand, suffix
from trainmaster.checks.triggers import matches


def names(matrix: Any) -> list[str]:
    expansion = expand(matrix)
    assert expansion is not None
    return [suffix(c) for c in expansion.combinations]


def test_exclude_matches_partially_and_before_include() -> None:
    matrix = {
        "os": ["a", "b"],
        "cfg": [{"cc": "gcc", "v": 1}, {"cc": "clang", "v": 2}],
        "exclude": [{"os": "b", "cfg": {"cc": "clang"}}],
        "include": [{"os": "b", "cfg": {"cc": "clang", "v": 2}, "extra": "x"}],
    }
    assert names(matrix) == [" (a, gcc, 1)", " (a, clang, 2)", " (b, gcc, 1)", " (b, clang, 2, x)"]


def test_include_never_overwrites_original_values() -> None:
    matrix = {"v": [1, 2], "include": [{"v": 1, "n": "one"}, {"v": 3}]}
    assert names(matrix) == [" (1, one)", " (2)", " (3)"]


def test_numbers_compare_as_doubles() -> None:
    assert names({"v": [3], "include": [{"v": 3.0, "tag": "t"}]}) == [" (3, t)"]


@pytest.mark.parametrize(
    ("matrix", "words"),
    [
        ({"os": "ubuntu"}, "must be a list"),
        ({"os": ["a"], "exclude": [{"arch": "x"}]}, "not a matrix key"),
        ({"a": list(range(17)), "b": list(range(16))}, "256"),
        ({"include": "x"}, "include must be a list"),
    ],
)
def test_matrices_github_rejects(matrix: Any, words: str) -> None:
    with pytest.raises(MatrixError, match=words):
        expand(matrix)


def test_dynamic_matrices_are_not_expanded() -> None:
    assert expand("${{ fromJSON(x) }}") is None
    assert expand({"include": ["${{ fromJSON(x) }}"]}) is None
    assert expand({"v": "${{ fromJSON(x) }}"}) is None


CONTEXTS = {"matrix": {"os": "Linux", "n": 2}, "github": Partial(event_name="pull_request")}


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("matrix.os", "Linux"),
        ("matrix['OS']", "Linux"),
        ("matrix.os == 'linux'", True),
        ("matrix.n >= 2 && 'big' || 'small'", "big"),
        ("matrix.missing || 'fallback'", "fallback"),
        ("!matrix.missing", True),
        ("format('{0}-{{x}}-{1}', matrix.os, matrix.n)", "Linux-{x}-2"),
        ("contains(fromJSON('[\"a\",\"b\"]'), 'B')", True),
        ("startsWith(matrix.os, 'lin')", True),
        ("'it''s'", "it's"),
        ("0x10 == 16", True),
        ("github.event_name", "pull_request"),
        ("false && github.sha", False),
    ],
)
def test_expressions(expression: str, value: Any) -> None:
    assert evaluate(expression, CONTEXTS) == value


@pytest.mark.parametrize("expression", ["github.sha", "vars.X", "needs.a.result", "success()"])
def test_run_time_values_are_unknown(expression: str) -> None:
    with pytest.raises(Unknown):
        evaluate(expression, CONTEXTS)


@pytest.mark.parametrize("expression", ["matrix.", "nope(1)", "(1", "1 1"])
def test_invalid_expressions(expression: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(expression, CONTEXTS)


def test_interpolation_and_references() -> None:
    assert interpolate("t ${{ matrix.n }} ${{ true }} ${{ null }}|", CONTEXTS) == "t 2 true |"
    assert references("x ${{ toJSON(matrix) }}", "matrix")
    assert not references("x ${{ 'matrix' }}", "matrix")


@pytest.mark.parametrize(
    ("patterns", "name", "selected"),
    [
        (("main",), "main", True),
        (("release/*",), "release/1.0", True),
        (("release/*",), "release/a/b", False),
        (("release/**",), "release/a/b", True),
        (("**", "!main"), "main", False),
        (("**", "!main"), "dev", True),
        (("v[12].*",), "v2.x", True),
        (("ma?in",), "min", True),
    ],
)
def test_filter_patterns(patterns: tuple[str, ...], name: str, selected: bool) -> None:
    assert matches(patterns, name) is selected


@pytest.mark.parametrize(
    "expression", ["fromJSON('not json')", "startsWith('a')", "format('{0}')", "(" * 3000 + "1"]
)
def test_expressions_that_fail_are_errors_not_crashes(expression: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(expression, CONTEXTS)


def test_a_value_from_an_expression_makes_the_matrix_dynamic() -> None:
    assert expand({"node": ["18", "${{ vars.NODE }}"]}) is None
    assert expand({"cfg": [{"os": "${{ vars.OS }}"}]}) is None

"""Hostile workflows (a pull request's author controls them): limits are counted before any
matrix is expanded or any call is walked, and each limit passed is a finding with file and line.

GitHub's documented limits: a matrix generates at most 256 jobs per workflow run ("Running
variations of jobs in a workflow"); reusable workflows nest at most ten levels on github.com and
one workflow file calls at most 20 unique reusable workflows ("Reusable workflows" reference)."""

from __future__ import annotations

import pytest

from trainmaster.checks.contexts import MAX_CHECKS, MAX_UNIQUE_CALLED, predict
from trainmaster.checks.matrix import MAX_COMBINATIONS, MatrixError, count, expand
from trainmaster.checks.workflow import Workflow, read_workflow


def workflow(path: str, text: str) -> Workflow:
    found, findings = read_workflow(text, path)
    assert found is not None, findings
    return found


def test_a_400_byte_matrix_of_60_million_is_refused_without_expanding() -> None:
    keys = {f"k{i}": [1, 2, 3, 4, 5, 6] for i in range(10)}
    assert count(keys) == (6**10, 6**10)
    with pytest.raises(MatrixError, match="60466176 combinations; GitHub allows 256"):
        expand(keys)


def test_the_count_brackets_exclude_and_include() -> None:
    matrix = {
        "os": ["a", "b"],
        "v": [1, 2, 3],
        "exclude": [{"os": "a", "v": 1}, {"os": "b"}],
        "include": [{"extra": 1}],
    }
    low, high = count(matrix)
    real = len(expand(matrix).combinations)  # type: ignore[union-attr]
    assert low <= real <= high
    assert (low, high) == (2, 7)


def test_exactly_256_combinations_are_allowed_and_257_are_not() -> None:
    assert len(expand({"a": list(range(16)), "b": list(range(16))}).combinations) == 256  # type: ignore[union-attr]
    with pytest.raises(MatrixError, match="257 combinations"):
        expand({"a": list(range(257))})
    assert MAX_COMBINATIONS == 256


def test_excludes_that_bring_a_big_product_under_the_cap_still_expand() -> None:
    matrix = {"a": list(range(20)), "b": list(range(20)), "exclude": [{"a": i} for i in range(10)]}
    assert len(expand(matrix).combinations) == 200  # type: ignore[union-attr]


def test_an_oversized_matrix_is_a_finding_on_its_job_line() -> None:
    keys = "\n".join(f"        k{i}: [1, 2, 3, 4, 5, 6]" for i in range(10))
    text = (
        f"on: pull_request\njobs:\n  build:\n    runs-on: x\n    strategy:\n      matrix:\n{keys}\n"
    )
    assert len(text) < 400
    prediction = predict({".github/workflows/ci.yml": workflow(".github/workflows/ci.yml", text)})
    assert prediction.checks == ()
    [finding] = prediction.findings
    assert (finding.file, finding.line) == (".github/workflows/ci.yml", 3)
    assert "GitHub allows 256" in finding.message


def _chain(length: int, fan: int) -> dict[str, Workflow]:
    """`w0` calls `w1` … with a `fan`-entry matrix at every level."""
    found: dict[str, Workflow] = {}
    for level in range(length):
        path = f".github/workflows/w{level}.yml"
        on = "pull_request" if level == 0 else "workflow_call"
        if level == length - 1:
            job = "    runs-on: x\n"
        else:
            job = f"    uses: ./.github/workflows/w{level + 1}.yml\n"
        matrix = f"    strategy:\n      matrix:\n        n: {list(range(fan))}\n"
        found[path] = workflow(path, f"on: {on}\njobs:\n  j:\n{job}{matrix}")
    return found


def test_calls_with_matrices_that_fan_out_past_the_budget_stop_with_a_finding() -> None:
    prediction = predict(_chain(3, 200))  # 8 million reporting jobs if walked
    assert len(prediction.checks) <= MAX_CHECKS
    assert any(
        f.file == ".github/workflows/w0.yml" and f.line == 3 and f"{MAX_CHECKS} checks" in f.message
        for f in prediction.findings
    )


def test_a_fan_out_under_the_budget_is_walked_whole() -> None:
    prediction = predict(_chain(3, 4))
    assert len(prediction.checks) == 64
    assert prediction.findings == ()


def test_more_than_20_unique_called_workflows_is_a_finding() -> None:
    found: dict[str, Workflow] = {}
    calls = ""
    for i in range(MAX_UNIQUE_CALLED + 1):
        path = f".github/workflows/c{i}.yml"
        found[path] = workflow(path, "on: workflow_call\njobs:\n  j:\n    runs-on: x\n")
        calls += f"  j{i}:\n    uses: ./{path}\n"
    found[".github/workflows/top.yml"] = workflow(
        ".github/workflows/top.yml", f"on: pull_request\njobs:\n{calls}"
    )
    prediction = predict(found)
    messages = [f.message for f in prediction.findings if f.file == ".github/workflows/top.yml"]
    assert any(f"more than {MAX_UNIQUE_CALLED} unique reusable workflows" in m for m in messages)
    del found[".github/workflows/c20.yml"]
    found[".github/workflows/top.yml"] = workflow(
        ".github/workflows/top.yml",
        "on: pull_request\njobs:\n" + calls.split("  j20:")[0],
    )
    assert predict(found).findings == ()


def test_a_5000_digit_number_is_a_finding_on_its_line() -> None:
    text = "on: push\njobs:\n  a:\n    runs-on: " + "9" * 5000 + "\n"
    found, findings = read_workflow(text, ".github/workflows/ci.yml")
    assert found is None
    [finding] = findings
    assert (finding.line, finding.rule) == (4, "workflow-invalid")
    assert "number too long" in finding.message


def test_remote_reusable_workflows_count_toward_the_20() -> None:
    calls = "".join(
        f"  j{i}:\n    uses: octo/w{i}/.github/workflows/x.yml@v1\n"
        for i in range(MAX_UNIQUE_CALLED + 1)
    )
    top = workflow(".github/workflows/top.yml", f"on: pull_request\njobs:\n{calls}")
    prediction = predict({".github/workflows/top.yml": top})
    [finding] = prediction.findings
    assert f"more than {MAX_UNIQUE_CALLED} unique reusable workflows" in finding.message
    assert len(prediction.checks) == MAX_UNIQUE_CALLED

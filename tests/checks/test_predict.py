"""The corpus is predicted exactly: contexts, the job and line reporting each, and their status."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.conftest import CORPUS
from trainmaster.checks.service import analyse


def predicted(case: str) -> list[tuple[str, str, str, int]]:
    analysis = analyse(CORPUS / case, "main")
    return [
        (c.context, c.job, Path(c.file).name, c.line)
        for c in analysis.prediction.checks
        if c.status == "exact"
    ]


def test_matrix_values_include_exclude_and_formatting() -> None:
    assert predicted("matrix") == [
        # exclude first, include extends the combinations it does not contradict
        ("unit-tests (ubuntu-latest, 3.10, true)", "test", "matrix.yml", 4),
        ("unit-tests (ubuntu-latest, 3.12, true)", "test", "matrix.yml", 4),
        ("unit-tests (windows-latest, 3.10)", "test", "matrix.yml", 4),
        ("unit-tests (macos-latest, 3.13)", "test", "matrix.yml", 4),
        # GitHub's documented example: added values are overwritten, original ones never
        ("fruit (apple, cat, pink, circle)", "fruit", "matrix.yml", 21),
        ("fruit (apple, dog, green, circle)", "fruit", "matrix.yml", 21),
        ("fruit (pear, cat, pink)", "fruit", "matrix.yml", 21),
        ("fruit (pear, dog, green)", "fruit", "matrix.yml", 21),
        ("fruit (banana)", "fruit", "matrix.yml", 21),
        ("fruit (banana, cat)", "fruit", "matrix.yml", 21),
        ("only-include (linux, x64)", "only-include", "matrix.yml", 38),
        ("only-include (mac, arm64)", "only-include", "matrix.yml", 38),
        # nested values are flattened, empty strings dropped, booleans lower case
        ("nested-values (ubuntu, gcc, false)", "nested-values", "matrix.yml", 47),
        ("nested-values (mac, clang, false)", "nested-values", "matrix.yml", 47),
        ("single (20)", "single", "matrix.yml", 56),
        # an unquoted 3.10 is the number 3.1, as GitHub reports it
        ("legacy (3.1)", "legacy", "matrix.yml", 63),
        ("legacy (3.9)", "legacy", "matrix.yml", 63),
        ("all-excluded", "all-excluded", "matrix.yml", 70),
    ]


def test_a_matrix_from_an_expression_is_unevaluated() -> None:
    analysis = analyse(CORPUS / "matrix", "main")
    dynamic = [c for c in analysis.prediction.checks if c.status != "exact"]
    assert [(c.context, c.job, c.line) for c in dynamic] == [
        ("dynamic (${{ matrix }})", "dynamic", 79)
    ]
    assert "expression" in dynamic[0].reason


def test_names_with_expressions() -> None:
    assert predicted("names") == [
        ("Build linux", "a", "names.yml", 4),  # the name reads matrix: no suffix
        ("Build windows", "a", "names.yml", 4),
        ("lint-ruff", "b", "names.yml", 13),
        ("lint-mypy", "b", "names.yml", 13),
        ("pr-check", "d", "names.yml", 26),  # github.event_name is known: pull_request
        # any expression in the name turns the suffix off, even one that is not about matrix
        ("Static name", "e", "names.yml", 31),
        ("Static name", "e", "names.yml", 31),
        ("42", "f", "names.yml", 39),
        ("shard 0 of 2", "g", "names.yml", 44),
        ("shard 1 of 2", "g", "names.yml", 44),
        ("3.13", "h", "names.yml", 52),  # `||` returns the first truthy operand
        ("Windows", "h", "names.yml", 52),
        ("Oldest", "h", "names.yml", 52),
    ]
    analysis = analyse(CORPUS / "names", "main")
    unknown = [c for c in analysis.prediction.checks if c.status == "unevaluated"]
    assert [c.context for c in unknown] == ["Deploy ${{ github.head_ref }}"]
    assert unknown[0].reason == "the name reads github.head_ref, known only during the run"


def test_local_reusable_workflows_nest_and_remote_ones_are_unknown() -> None:
    assert predicted("reusable") == [
        ("Deploy / rollout-gate (staging)", "deploy/gate", "deploy.yml", 8),
        ("Deploy / smoke (api)", "deploy/smoke", "deploy.yml", 13),
        ("Deploy / smoke (ui)", "deploy/smoke", "deploy.yml", 13),
        ("Deploy / Verify / verify-signature", "deploy/nested/check", "verify.yml", 3),
        ("matrix-call (eu) / rollout-gate (eu)", "matrix-call/gate", "deploy.yml", 8),
        ("matrix-call (eu) / smoke (api)", "matrix-call/smoke", "deploy.yml", 13),
        ("matrix-call (eu) / smoke (ui)", "matrix-call/smoke", "deploy.yml", 13),
        (
            "matrix-call (eu) / Verify / verify-signature",
            "matrix-call/nested/check",
            "verify.yml",
            3,
        ),
        ("matrix-call (us) / rollout-gate (us)", "matrix-call/gate", "deploy.yml", 8),
        ("matrix-call (us) / smoke (api)", "matrix-call/smoke", "deploy.yml", 13),
        ("matrix-call (us) / smoke (ui)", "matrix-call/smoke", "deploy.yml", 13),
        (
            "matrix-call (us) / Verify / verify-signature",
            "matrix-call/nested/check",
            "verify.yml",
            3,
        ),
        ("defaults / verify-signature", "defaults/check", "verify.yml", 3),
    ]
    analysis = analyse(CORPUS / "reusable", "main")
    remote = [c for c in analysis.prediction.checks if c.status == "remote"]
    assert [(c.job, c.line) for c in remote] == [("remote", 21)]
    assert remote[0].context.startswith("remote / ")
    missing = [f for f in analysis.findings if "nope.yml" in f.message]
    assert [(Path(f.file).name, f.line, f.severity) for f in missing] == [
        ("caller.yml", 23, "error")
    ]


def test_a_called_workflow_is_not_reported_on_its_own() -> None:
    analysis = analyse(CORPUS / "reusable", "main")
    assert {Path(c.workflow).name for c in analysis.prediction.checks} == {"caller.yml"}


def test_input_defaults_fill_names_when_the_caller_gives_none(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text(
        "on: pull_request\njobs:\n  call:\n    uses: ./.github/workflows/lib.yml\n"
        "  other:\n    uses: ./.github/workflows/lib.yml\n    with:\n      env: ${{ github.sha }}\n"
    )
    (tmp_path / "lib.yml").write_text(
        "on:\n  workflow_call:\n    inputs:\n      env: {type: string, default: dev}\n"
        "jobs:\n  gate:\n    name: gate (${{ inputs.env }})\n    runs-on: x\n    steps: [{run: x}]\n"
    )
    checks = analyse(tmp_path, "main").prediction.checks
    assert [(c.context, c.status) for c in checks] == [
        ("call / gate (dev)", "exact"),
        ("other / gate (${{ inputs.env }})", "unevaluated"),
    ]


@pytest.mark.parametrize(
    ("caller", "problem"),
    [
        ("uses: ./.github/workflows/ci.yml", "recursively"),
        ("uses: ./.github/workflows/plain.yml", "workflow_call"),
    ],
)
def test_bad_calls_are_findings(tmp_path: Path, caller: str, problem: str) -> None:
    (tmp_path / "ci.yml").write_text(
        f"on: [pull_request, workflow_call]\njobs:\n  self:\n    {caller}\n"
    )
    (tmp_path / "plain.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: x}]\n"
    )
    analysis = analyse(tmp_path, "main")
    messages = [f.message for f in analysis.findings]
    assert any(problem in m for m in messages), messages


def test_a_strategy_from_an_expression_is_unevaluated(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text(
        "on: pull_request\njobs:\n  t:\n    strategy: ${{ fromJSON(vars.S) }}\n    runs-on: x\n"
    )
    (check,) = analyse(tmp_path, "main").prediction.checks
    assert (check.context, check.status) == ("t (${{ matrix }})", "unevaluated")


def test_a_broken_call_from_a_matrix_job_is_one_finding(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text(
        "on: pull_request\njobs:\n  c:\n    strategy: {matrix: {v: [1, 2, 3]}}\n"
        "    uses: ./.github/workflows/gone.yml\n"
    )
    analysis = analyse(tmp_path, "main")
    assert [(f.rule, f.line) for f in analysis.findings] == [("workflow-invalid", 5)]


def test_a_called_workflow_matrix_from_its_inputs_is_expanded(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text(
        "on: pull_request\njobs:\n  call:\n    uses: ./.github/workflows/lib.yml\n    with:\n"
        '      matrix: \'{"os": ["linux", "mac"], "include": [{"os": "mac", "arm": true}]}\'\n'
        "  other:\n    uses: ./.github/workflows/lib.yml\n"
        "    with:\n      matrix: ${{ needs.plan.outputs.matrix }}\n"
    )
    (tmp_path / "lib.yml").write_text(
        "on:\n  workflow_call:\n    inputs:\n      matrix: {type: string, required: true}\n"
        "jobs:\n  test:\n    strategy:\n      matrix: ${{ fromJSON(inputs.matrix) }}\n"
        "    runs-on: x\n    steps: [{run: x}]\n"
    )
    checks = analyse(tmp_path, "main").prediction.checks
    assert [(c.context, c.status) for c in checks] == [
        ("call / test (linux)", "exact"),
        ("call / test (mac, true)", "exact"),
        ("other / test (${{ matrix }})", "unevaluated"),
    ]

"""Workflow YAML is read as GitHub reads it, and bad files become findings with a line."""

from __future__ import annotations

import pytest

from tests.checks.conftest import CORPUS
from trainmaster.checks.source import MAX_NODES, SourceError, load_workflow_yaml
from trainmaster.checks.workflow import read_workflow


def test_yaml_1_2_scalars_keep_on_yes_and_dates_as_strings() -> None:
    doc = load_workflow_yaml(
        "on: push\nyes: no\nn: 010\no: 0o10\nx: 0x1F\nd: 2024-01-01\nf: 3.10\nq: '3.10'\nz: ~\nb: True\n",
        "w.yml",
    )
    assert doc.data == {
        "on": "push",
        "yes": "no",
        "n": 10,
        "o": 8,
        "x": 31,
        "d": "2024-01-01",
        "f": 3.1,
        "q": "3.10",
        "z": None,
        "b": True,
    }
    assert doc.source.key_marks[("on",)].line == 1
    assert doc.source.marks[("f",)].line == 7


def test_anchors_are_expanded_and_noted() -> None:
    text = (CORPUS / "bad/anchors.yml").read_text()
    workflow, findings = read_workflow(text, "anchors.yml")
    assert workflow is not None and [j.id for j in workflow.jobs] == ["first", "second"]
    assert [(f.rule, f.severity, f.line) for f in findings] == [("workflow-yaml", "note", 6)]


@pytest.mark.parametrize(
    ("file", "line", "words"),
    [
        ("invalid.yml", 4, "invalid YAML"),
        ("list.yml", 1, "must be a mapping"),
        ("unknown.yml", 2, "did you mean 'jobs'"),
        ("unknown-job-key.yml", 4, "did you mean 'runs-on'"),
        ("merge.yml", 8, "merge keys"),
        ("dupkey.yml", 7, "duplicate key 'a'"),
        ("badid.yml", 3, "job id"),
    ],
)
def test_bad_files_are_one_clear_finding(file: str, line: int, words: str) -> None:
    workflow, findings = read_workflow((CORPUS / "bad" / file).read_text(), file)
    assert workflow is None
    first = findings[0]
    assert (first.rule, first.severity, first.file, first.line) == (
        "workflow-invalid",
        "error",
        file,
        line,
    )
    assert words in first.message


def test_an_alias_bomb_is_refused_not_expanded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    with pytest.raises(SourceError) as info:
        load_workflow_yaml("\n".join(lines) + "\n", "bomb.yml")
    assert str(MAX_NODES) in info.value.message


def test_a_huge_file_is_refused_with_a_line() -> None:
    text = "on: push\n" + "#" * 1_100_000 + "\n"
    workflow, findings = read_workflow(text, "huge.yml")
    assert workflow is None and findings[0].line == 1 and "larger" in findings[0].message


def test_conflicting_filters_are_errors() -> None:
    text = "on:\n  pull_request:\n    branches: [main]\n    branches-ignore: [x]\njobs:\n  a:\n    runs-on: x\n"
    workflow, findings = read_workflow(text, "w.yml")
    assert workflow is None
    assert findings[0].line == 2 and "cannot both" in findings[0].message


def test_deep_nesting_is_a_finding_not_a_crash() -> None:
    workflow, findings = read_workflow(
        "on: push\njobs: " + "[" * 5000 + "]" * 5000 + "\n", "deep.yml"
    )
    assert workflow is None and "nest" in findings[0].message  # ours or LibYAML's limit


def test_a_name_whose_expression_fails_is_unevaluated() -> None:
    from trainmaster.checks.contexts import predict

    text = "on: pull_request\njobs:\n  a:\n    name: x ${{ fromJSON('{') }}\n    runs-on: x\n"
    workflow, _ = read_workflow(text, "w.yml")
    assert workflow is not None
    (check,) = predict({".github/workflows/w.yml": workflow}).checks
    assert check.status == "unevaluated" and "invalid" in check.reason


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            "on:\n  pull_request:\n    branch: [main]\njobs:\n  a:\n    runs-on: x\n",
            3,
            "did you mean 'branches'",
        ),
        ("on: pull_request\njobs:\n  a:\n    steps: [{run: x}]\n", 3, "needs runs-on"),
    ],
)
def test_mistakes_github_rejects_the_whole_file_for(text: str, line: int, words: str) -> None:
    workflow, findings = read_workflow(text, "w.yml")
    assert workflow is None
    assert findings[0].line == line and words in findings[0].message

"""Lint rules on the triggers corpus: each required context gets exactly the finding it deserves."""

from __future__ import annotations

from pathlib import Path

from tests.checks.conftest import CORPUS
from trainmaster.checks.lint import Required, closest, edit_distance, lint
from trainmaster.checks.service import analyse

REQUIRED = [
    "push-check",
    "paths-check",
    "develop-check",
    "negated-check",
    "queue-check",
    "target-check",
    "label-check",
    "ok-check",
    "skip-check",
    "matrix-skip (1)",
    "after-build",
    "always-job",
    "shared-name",
    "unit-test",
    "e2e main",
    "shared / lint",
    "push-only",
    "pr-only",
    "push-matrix (1)",
]


def findings() -> list[tuple[str, str, str, str, int]]:
    analysis = analyse(CORPUS / "triggers", "main")
    required = [Required(c, "trainmaster.yaml", i + 10) for i, c in enumerate(REQUIRED)]
    found = lint(required, analysis.prediction, analysis.workflows, "main")
    return [(f.context or "", f.rule, f.severity, Path(f.file).name, f.line) for f in found]


def test_each_required_context_gets_its_finding() -> None:
    assert sorted(findings()) == sorted(
        [
            ("push-check", "not-triggered", "error", "push.yml", 1),
            ("develop-check", "not-triggered", "error", "develop.yml", 2),
            ("negated-check", "not-triggered", "error", "negated.yml", 2),
            ("queue-check", "not-triggered", "error", "queue.yml", 2),
            ("target-check", "not-triggered", "warning", "target.yml", 1),
            ("paths-check", "filtered", "error", "paths.yml", 2),
            ("label-check", "filtered", "error", "types.yml", 2),
            # ok.yml and queue.yml run in a merge queue, these two do not
            ("paths-check", "merge-queue", "warning", "paths.yml", 2),
            ("label-check", "merge-queue", "warning", "types.yml", 2),
            ("ok-check", "ambiguous", "warning", "ok.yml", 39),
            ("shared-name", "ambiguous", "warning", "paths.yml", 9),
            ("skip-check", "satisfied-by-skip", "warning", "ok.yml", 12),
            ("matrix-skip (1)", "pending-when-skipped", "warning", "ok.yml", 17),
            ("after-build", "satisfied-by-skip", "warning", "ok.yml", 28),
            ("unit-test", "missing", "error", "trainmaster.yaml", 23),
            ("e2e main", "unevaluated-name", "warning", "ok.yml", 54),
            ("shared / lint", "remote-reusable", "warning", "ok.yml", 61),
            # conditions decided by the event: never skipped, or skipped on every pull request
            ("push-only", "satisfied-by-skip", "warning", "ok.yml", 63),
            ("push-matrix (1)", "pending-when-skipped", "error", "ok.yml", 73),
        ]
    )


def test_messages_explain_and_suggest() -> None:
    analysis = analyse(CORPUS / "triggers", "main")
    required = [Required("unit-test", "trainmaster.yaml", 3), Required("matrix-skip (1)", "p", 4)]
    found = {
        f.context: f.message
        for f in lint(required, analysis.prediction, analysis.workflows, "main")
    }
    assert "did you mean 'unit-tests'?" in found["unit-test"]
    assert "'matrix-skip'" in found["matrix-skip (1)"]  # what GitHub reports on a skip


def test_a_skipped_workflow_leaves_paths_filtered_checks_pending() -> None:
    analysis = analyse(CORPUS / "triggers", "main")
    found = lint([Required("paths-check", "p", 1)], analysis.prediction, analysis.workflows, "main")
    assert "paths filter" in found[0].message


def test_a_release_branch_policy_sees_other_triggers(tmp_path: Path) -> None:
    analysis = analyse(CORPUS / "triggers", "develop")
    required = [Required("develop-check", "p", 1), Required("negated-check", "p", 2)]
    found = lint(required, analysis.prediction, analysis.workflows, "develop")
    assert [(f.context, f.rule) for f in found] == [
        ("develop-check", "merge-queue"),
        ("negated-check", "merge-queue"),
    ]


def test_no_merge_queue_no_merge_queue_finding(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text("on: pull_request\njobs:\n  a:\n    runs-on: x\n")
    analysis = analyse(tmp_path, "main")
    found = lint([Required("a", "p", 1)], analysis.prediction, analysis.workflows, "main")
    assert found == []


def test_edit_distance_and_closest() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert closest("unit-test", ["unit-tests", "e2e-tests"]) == "unit-tests"
    assert closest("zzzzzz", ["unit-tests"]) is None


def test_a_check_not_pinned_to_actions_may_come_from_another_app() -> None:
    analysis = analyse(CORPUS / "triggers", "main")
    required = [Required("codecov/patch", "trainmaster.yaml", 7)]
    pinned = lint(required, analysis.prediction, analysis.workflows, "main")
    loose = lint(required, analysis.prediction, analysis.workflows, "main", actions_only=False)
    assert [(f.rule, f.severity) for f in pinned] == [("missing", "error")]
    assert [(f.rule, f.severity) for f in loose] == [("missing", "warning")]
    assert "another app" in loose[0].message


def test_whitespace_left_by_empty_inputs_does_not_hide_a_context(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text(
        "on: pull_request\njobs:\n  call:\n    name: wheels\n    uses: ./.github/workflows/lib.yml\n"
        "    with: {os: linux}\n"
    )
    (tmp_path / "lib.yml").write_text(
        "on:\n  workflow_call:\n    inputs:\n      os: {type: string}\n      arch: {type: string}\n"
        "jobs:\n  build:\n    name: ${{ inputs.os }} ${{ inputs.arch }}\n    runs-on: x\n"
    )
    analysis = analyse(tmp_path, "main")
    assert [c.context for c in analysis.prediction.checks] == ["wheels / linux "]
    found = lint(
        [Required("wheels / linux", "p", 1)], analysis.prediction, analysis.workflows, "main"
    )
    assert found == []

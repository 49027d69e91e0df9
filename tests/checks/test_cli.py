"""The `checks` commands end to end: JSON, SARIF, annotations, exit codes, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.checks.conftest import CORPUS


@pytest.fixture
def repo(cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    assert cli("init", "--owner", "acme", "--repo", "maestro").code == 0
    return tmp_path


def copy_case(repo: Path, case: str) -> Path:
    target = repo / ".github/workflows"
    shutil.copytree(CORPUS / case, target, dirs_exist_ok=True)
    return target


def test_contexts_json_lists_what_a_pull_request_gets(cli, repo: Path) -> None:  # type: ignore[no-untyped-def]
    copy_case(repo, "reusable")
    result = cli("--json", "checks", "contexts")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["event"] == "pull_request" and data["branch"] == "main"
    first = data["contexts"][0]
    assert first == {
        "context": "Deploy / rollout-gate (staging)",
        "status": "exact",
        "workflow": ".github/workflows/caller.yml",
        "job": "deploy/gate",
        "file": ".github/workflows/deploy.yml",
        "line": 8,
        "reason": "",
        "when": "every pull request",
        "skipped_as": [],
    }
    assert any(c["status"] == "remote" for c in data["contexts"])
    assert [f["rule"] for f in data["findings"]] == ["workflow-invalid"]


def test_contexts_table_warns_about_remote_workflows(cli, repo: Path) -> None:  # type: ignore[no-untyped-def]
    copy_case(repo, "reusable")
    result = cli("checks", "contexts")
    assert result.code == 0
    assert "Deploy / Verify / verify-signature" in result.out
    assert "warning: .github/workflows/caller.yml:21:" in result.out


def test_lint_on_bad_input_reports_every_file_and_still_analyses_the_good_one(
    cli, repo: Path
) -> None:  # type: ignore[no-untyped-def]
    workflows = copy_case(repo, "bad")
    (workflows / "latin1.yml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    result = cli("--json", "checks", "lint")
    assert result.code == 1
    assert "Traceback" not in result.err
    data = json.loads(result.out)
    invalid = {
        (Path(f["file"]).name, f["line"])
        for f in data["findings"]
        if f["rule"] == "workflow-invalid"
    }
    assert invalid == {
        ("badid.yml", 3),
        ("dupkey.yml", 7),
        ("invalid.yml", 4),
        ("latin1.yml", 1),
        ("list.yml", 1),
        ("merge.yml", 8),
        ("unknown-job-key.yml", 4),
        ("unknown.yml", 1),
        ("unknown.yml", 2),
    }
    missing = {f["context"] for f in data["findings"] if f["rule"] == "missing"}
    assert "build" in missing and len(missing) == 17  # the seed's contexts: none reported here
    assert data["errors"] == len([f for f in data["findings"] if f["severity"] == "error"])


def test_lint_writes_valid_sarif(cli, repo: Path, sarif_schema: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    copy_case(repo, "triggers")
    result = cli("checks", "lint", "--sarif", "out.sarif")
    assert result.code == 1
    sarif = json.loads((repo / "out.sarif").read_text())
    jsonschema.validate(sarif, sarif_schema)
    run = sarif["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for res in run["results"]:
        assert rules[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
    missing = [r for r in run["results"] if r["ruleId"] == "missing"]
    assert (
        missing
        and missing[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "trainmaster.yaml"
    )


def require(repo: Path, contexts: list[str]) -> None:
    """Replace the policy's required checks."""
    policy = repo / "trainmaster.yaml"
    text = policy.read_text()
    start, end = text.index("checks:\n  required:\n"), text.index("\nstages:")
    listed = "".join(f"    - context: {json.dumps(c)}\n" for c in contexts)
    policy.write_text(text[:start] + "checks:\n  required:\n" + listed + text[end:])


def test_lint_in_github_actions_annotates_and_summarises(
    cli, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    copy_case(repo, "triggers")
    require(repo, ["push-check", "target-check", "ok-check"])
    summary = repo / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = cli("checks", "lint")
    assert result.code == 1
    assert (
        "::error file=.github/workflows/push.yml,line=1,col=1::'push-check' is reported"
        in result.err
    )
    assert "::warning file=.github/workflows/target.yml,line=1,col=1::" in result.err
    assert "::warning file=.github/workflows/ok.yml,line=39,col=1::" in result.err
    assert "| error | not-triggered | push-check |" in summary.read_text()
    assert "error: required checks: 1 error(s), 2 warning(s)" in result.err


def test_lint_with_warnings_only_exits_zero(cli, repo: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("checks", "generate").code == 0
    workflows = repo / ".github/workflows"
    ci = workflows / "ci.yml"
    ci.write_text(
        ci.read_text().replace(
            '    name: "build"\n', "    name: \"build\"\n    if: github.actor != 'bot'\n"
        )
    )
    result = cli("--json", "checks", "lint")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["errors"], data["warnings"]) == (0, 1)
    assert data["findings"][0]["rule"] == "satisfied-by-skip"


def test_lint_clean_on_generated_workflows(cli, repo: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("checks", "generate").code == 0
    result = cli("checks", "lint")
    assert result.code == 0 and "no findings" in result.out


def test_a_missing_workflow_directory_is_a_usage_error(cli, repo: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("checks", "lint", "--workflows", "nowhere")
    assert result.code == 2 and "nowhere: no such workflow directory" in result.err


def test_unwritable_outputs_are_one_line_errors(cli, repo: Path) -> None:  # type: ignore[no-untyped-def]
    copy_case(repo, "reusable")
    (repo / "blocked").write_text("a file, not a directory")
    result = cli("checks", "lint", "--sarif", "blocked/out.sarif")
    assert result.code == 2 and "cannot write the SARIF file" in result.err
    generated = cli("checks", "generate", "--out", "blocked/workflows")
    assert generated.code == 2 and "cannot write the workflows" in generated.err
    assert "Traceback" not in result.err + generated.err


def test_contexts_for_another_base_branch(cli, repo: Path) -> None:  # type: ignore[no-untyped-def]
    copy_case(repo, "triggers")
    on_main = json.loads(cli("--json", "checks", "contexts").out)
    on_develop = json.loads(cli("--json", "checks", "contexts", "--branch", "develop").out)
    assert on_develop["branch"] == "develop"
    assert "develop-check" in {c["context"] for c in on_develop["contexts"]}
    assert "develop-check" not in {c["context"] for c in on_main["contexts"]}

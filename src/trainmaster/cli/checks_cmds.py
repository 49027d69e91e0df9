"""`checks contexts|lint|generate`: the check contexts GitHub will report, linted and generated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trainmaster.cli.context import annotate, console, ctx, emit_json, step_summary
from trainmaster.errors import CheckFailed, UsageError

if TYPE_CHECKING:
    from trainmaster.checks.findings import Finding
    from trainmaster.checks.service import Analysis

checks_app = typer.Typer(help="Required checks: predict, lint and generate workflows.")
WorkflowsOption = Annotated[
    Path, typer.Option("--workflows", help="Workflow directory.", show_default=True)
]
DEFAULT_WORKFLOWS = Path(".github/workflows")


def register(app: typer.Typer) -> None:
    app.add_typer(checks_app, name="checks")


@checks_app.command("contexts")
def contexts(
    typer_ctx: typer.Context,
    workflows: WorkflowsOption = DEFAULT_WORKFLOWS,
    branch_option: Annotated[
        str | None,
        typer.Option("--branch", help="Base branch (default: the policy's default branch)."),
    ] = None,
) -> None:
    """List the contexts a pull request to the default branch gets, with file and job."""
    from trainmaster.checks.service import analyse

    state = ctx(typer_ctx)
    branch = branch_option or _default_branch(state)
    analysis = analyse(workflows, branch)
    if state.json_output:
        emit_json(_contexts_json(analysis, branch))
        return
    _contexts_table(analysis, branch)
    _print_findings(analysis.findings)


def _contexts_json(analysis: Analysis, branch: str) -> dict[str, Any]:
    def one(c: Any) -> dict[str, Any]:
        return {
            "context": c.context,
            "status": c.status,
            "workflow": c.workflow,
            "job": c.job,
            "file": c.file,
            "line": c.line,
            "reason": c.reason,
            "when": _when(analysis.verdicts[c.workflow].reach),
            "skipped_as": [k.skip_context for k in c.conditions],
        }

    return {
        "event": "pull_request",
        "branch": branch,
        "contexts": [one(c) for c in analysis.pull_request_checks()],
        "findings": [_finding_json(f) for f in analysis.findings],
    }


def _contexts_table(analysis: Analysis, branch: str) -> None:
    from rich.table import Table

    checks = analysis.pull_request_checks()
    table = Table(title=f"Check contexts for a pull request to {branch}")
    for column in ("context", "workflow", "job", "line", "note"):
        table.add_column(column)
    for check in checks:
        note = check.reason or _when(analysis.verdicts[check.workflow].reach)
        table.add_row(check.context, check.file, check.job, str(check.line), note)
    out = console()
    out.print(table, markup=False)
    for check in checks:
        if check.status != "exact":
            where = f"{check.file}:{check.line}"
            out.print(f"warning: {where}: {check.context}: {check.reason}", markup=False)


@checks_app.command("lint")
def lint(
    typer_ctx: typer.Context,
    workflows: WorkflowsOption = DEFAULT_WORKFLOWS,
    sarif: Annotated[
        Path | None, typer.Option("--sarif", help="Also write SARIF 2.1.0 to this file.")
    ] = None,
) -> None:
    """Compare the policy's required checks with what the workflows report: exit 1 on errors."""
    from trainmaster.checks.service import lint_repository

    state = ctx(typer_ctx)
    _, findings = lint_repository(workflows, state.policy, state.policy_path)
    if sarif is not None:
        _write_sarif(sarif, findings)
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    for finding in findings:
        level = "notice" if finding.severity == "note" else finding.severity
        annotate(level, finding.message, file=finding.file, line=finding.line, col=finding.column)
    step_summary(_summary(findings))
    if state.json_output:
        found = [_finding_json(f) for f in findings]
        emit_json({"findings": found, "errors": errors, "warnings": warnings})
    else:
        _render_findings(findings)
    if errors:
        raise CheckFailed(f"required checks: {errors} error(s), {warnings} warning(s)")


def _write_sarif(path: Path, findings: list[Finding]) -> None:
    from trainmaster import __version__
    from trainmaster.checks.sarif import to_sarif

    try:
        path.write_text(json.dumps(to_sarif(findings, __version__), indent=2) + "\n", "utf-8")
    except OSError as e:
        raise UsageError(f"{path}: cannot write the SARIF file: {e.strerror or e}") from e


Out = Annotated[Path, typer.Option("--out", help="Where to write the workflows.")]
Force = Annotated[bool, typer.Option(help="Overwrite files that differ.")]
Dry = Annotated[bool, typer.Option("--dry-run", help="Show, do not write.")]
# pipeline (issue 14): the action every generated job installs trainmaster with
Action = Annotated[
    str | None,
    typer.Option("--action", help="The trainmaster action, pinned: OWNER/REPO@<commit SHA>."),
]


@checks_app.command("generate")
def generate(typer_ctx: typer.Context, out: Out = DEFAULT_WORKFLOWS, force: Force = False,
             dry_run: Dry = False, action: Action = None) -> None:  # fmt: skip
    """Write CI, staging, release-train and preview-cleanup workflows named after the policy."""
    from trainmaster import __version__
    from trainmaster.checks.service import write_generated

    state = ctx(typer_ctx)
    try:
        changes, warnings = write_generated(state.policy, __version__, out,
                                            state.policy_path.name, force=force,
                                            dry_run=dry_run, action=action)  # fmt: skip
    except OSError as e:
        raise UsageError(f"{out}: cannot write the workflows: {e.strerror or e}") from e
    for warning in warnings:
        console(stderr=True).print(f"warning: {warning}", markup=False)
    if state.json_output:
        files = [{"file": str(c.file), "status": c.status, "diff": c.diff} for c in changes]
        emit_json({"dry_run": dry_run, "files": files})
    else:
        _show_generated(changes, dry_run)
    refused = [c for c in changes if c.status == "differs"]
    if refused:
        names = ", ".join(str(c.file) for c in refused)
        raise UsageError(
            f"{names}: differs from the generated workflow; not overwritten "
            "(see the diff; use --force to overwrite)"
        )


def _show_generated(changes: list[Any], dry_run: bool) -> None:
    out = console()
    for change in changes:
        shown = not dry_run or change.status in ("unchanged", "differs")
        out.print(f"{change.file}: {change.status if shown else f'would be {change.status}'}",
                  markup=False)  # fmt: skip
        if change.diff and change.status != "created":
            out.print(change.diff, markup=False, highlight=False)


def _default_branch(state: object) -> str:
    from trainmaster.cli.context import Context
    from trainmaster.errors import PolicyError

    assert isinstance(state, Context)
    try:
        return state.policy.train.default_branch
    except PolicyError:
        if state.policy_path.exists():
            raise
        return "main"  # no policy yet: predicting contexts needs only the default branch


def _when(reach: str) -> str:
    return {"runs": "every pull request", "filtered": "only when its path/type filters match"}.get(
        reach, reach
    )


def _finding_json(finding: Finding) -> dict[str, object]:
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "context": finding.context,
        "file": finding.file,
        "line": finding.line,
        "column": finding.column,
        "message": finding.message,
    }


def _print_findings(findings: tuple[Finding, ...] | list[Finding]) -> None:
    err = console(stderr=True)
    for f in findings:
        err.print(f"{f.severity}: {f.file}:{f.line}:{f.column}: {f.message}", markup=False)


def _render_findings(findings: list[Finding]) -> None:
    out = console()
    if not findings:
        out.print("required checks: no findings")
        return
    from rich.table import Table

    table = Table(title="Required checks")
    for column in ("severity", "rule", "context", "where", "message"):
        table.add_column(column)
    for f in findings:
        table.add_row(f.severity, f.rule, f.context or "", f"{f.file}:{f.line}", f.message)
    out.print(table, markup=False)


def _summary(findings: list[Finding]) -> str:
    if not findings:
        return "### Required checks\nNo findings.\n"
    rows = "\n".join(
        f"| {f.severity} | {f.rule} | {(f.context or '').replace('|', '/')} | {f.file}:{f.line} "
        f"| {f.message.replace('|', '/')} |"
        for f in findings
    )
    head = "| severity | rule | context | where | message |\n|---|---|---|---|---|"
    return f"### Required checks\n{head}\n{rows}\n"

"""`plan`, `apply`, `drift`: GitHub protections, rulesets and environments as code."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import typer

from trainmaster.cli.context import Context, console, ctx, emit_json, step_summary

if TYPE_CHECKING:
    from trainmaster.governance.model import Action, Outcome, RepoPlan
    from trainmaster.governance.use_cases import GovernancePlan, Selection

Repos = Annotated[
    list[str] | None, typer.Option("--repo", metavar="OWNER/REPO", help="Repository (repeatable).")
]
Org = Annotated[
    str | None, typer.Option("--org", metavar="ORG", help="Every repo of this organization.")
]
Include = Annotated[
    list[str] | None, typer.Option("--include", metavar="GLOB", help="Name pattern (with --org).")
]
Exclude = Annotated[
    list[str] | None, typer.Option("--exclude", metavar="GLOB", help="Name pattern (with --org).")
]
ApiUrl = Annotated[
    str | None, typer.Option("--api-url", metavar="URL", help="GitHub Enterprise Server API URL.")
]
Concurrency = Annotated[int, typer.Option("--concurrency", min=1, max=32, help="Parallel reads.")]
Json = Annotated[bool, typer.Option("--json", help="Machine output on stdout.")]


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_cmd)
    app.command("apply")(apply_cmd)
    app.command("drift")(drift_cmd)


def plan_cmd(
    typer_ctx: typer.Context,
    repo: Repos = None,
    org: Org = None,
    include: Include = None,
    exclude: Exclude = None,
    api_url: ApiUrl = None,
    concurrency: Concurrency = 8,
    json_output: Json = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Print equivalent `gh api` calls.")
    ] = False,
) -> None:
    """Show what `apply` would change on GitHub (no writes)."""
    state = ctx(typer_ctx)
    plan = _plan(state, _selection(repo, org, include, exclude, api_url, concurrency))
    if explain:
        from trainmaster.governance.render import explain as explain_plan

        sys.stdout.write(explain_plan(list(plan.plans), plan.api_url))
    else:
        _show_plan(plan.plans, state.json_output or json_output)
    _raise(plan.error())


def drift_cmd(
    typer_ctx: typer.Context,
    repo: Repos = None,
    org: Org = None,
    include: Include = None,
    exclude: Exclude = None,
    api_url: ApiUrl = None,
    concurrency: Concurrency = 8,
    json_output: Json = False,
) -> None:
    """Compare GitHub with the policy; exit 1 when they differ."""
    state = ctx(typer_ctx)
    from trainmaster.governance.use_cases import drift_governance

    selection = _selection(repo, org, include, exclude, api_url, concurrency)
    with console(stderr=True).status("reading repositories"):
        plan = drift_governance(state.app(), selection, state.actor)
    _show_plan(plan.plans, state.json_output or json_output)
    if plan.drifted and plan.error() is None:
        drifted = ", ".join(plan.drifted)
        step_summary(f"Governance drift in {len(plan.drifted)} repositories: {drifted}")
    _raise(plan.drift_error())


def apply_cmd(
    typer_ctx: typer.Context,
    repo: Repos = None,
    org: Org = None,
    include: Include = None,
    exclude: Exclude = None,
    api_url: ApiUrl = None,
    concurrency: Concurrency = 8,
    json_output: Json = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan only.")] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (audited; required).")] = "",
) -> None:
    """Make GitHub match the policy: only the diff, idempotently, every write audited."""
    from trainmaster.governance.use_cases import ApplyInput, apply_governance

    state = ctx(typer_ctx)
    as_json = state.json_output or json_output
    plan = _plan(state, _selection(repo, org, include, exclude, api_url, concurrency))
    if dry_run or plan.pending == 0:
        _show_plan(plan.plans, as_json)
        _raise(plan.error())
        return
    if not as_json:
        _show_plan(plan.plans, False, errors=False)  # the outcome reports them once
    _confirm(yes, plan.pending)
    echo = None if as_json else _echo
    result = apply_governance(state.app(), ApplyInput(state.actor, reason), plan, echo)
    _show_outcomes(result.outcomes, as_json)
    _raise(result.error())


# --- shared -----------------------------------------------------------------------------------


def _selection(
    repos: list[str] | None,
    org: str | None,
    include: list[str] | None,
    exclude: list[str] | None,
    api_url: str | None,
    concurrency: int,
) -> Selection:
    from trainmaster.governance.use_cases import Selection

    return Selection(
        tuple(repos or ()), org, tuple(include or ()), tuple(exclude or ()), api_url, concurrency
    )


def _plan(state: Context, selection: Selection) -> GovernancePlan:
    from trainmaster.governance.use_cases import plan_governance

    with console(stderr=True).status("reading repositories"):
        return plan_governance(state.app(), selection)


def _confirm(yes: bool, pending: int) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        from trainmaster.errors import UsageError

        raise UsageError("apply changes GitHub: pass --yes (or --dry-run to see the plan)")
    typer.confirm(f"apply {pending} changes?", abort=True)


def _echo(repo: str, action: Action) -> None:
    """Say each write at once (writes on github.com are spaced a second apart)."""
    console().print(f"applied  {repo}  {action.op} {action.resource}", markup=False)


def _show_plan(plans: Iterable[RepoPlan], as_json: bool, errors: bool = True) -> None:
    from trainmaster.governance.render import plan_json, rows

    plans = list(plans)
    if as_json:
        emit_json(plan_json(plans))
        return
    if errors:
        _errors(p.error for p in plans)
    table_rows = [r for r in rows(plans) if r[1] != "error"]
    if not table_rows:
        console().print(f"no changes: {len(plans)} repositories match the policy")
        return
    from rich.table import Table

    table = Table("repo", "op", "resource", "changes")
    for row in table_rows:
        table.add_row(*row)
    console().print(table)


def _show_outcomes(outcomes: Iterable[Outcome], as_json: bool) -> None:
    from trainmaster.governance.render import outcome_json

    outcomes = list(outcomes)
    if as_json:
        emit_json(outcome_json(outcomes))
        return
    out = console()
    landed = sum(len(o.landed) for o in outcomes)
    out.print(f"{landed} changes applied to {sum(1 for o in outcomes if o.landed)} repositories")
    for o in outcomes:
        if o.failed is not None:
            out.print(f"FAILED   {o.repo}  {o.failed.op} {o.failed.resource}", markup=False)
        for a in o.skipped:
            out.print(f"pending  {o.repo}  {a.op} {a.resource} (next run)", markup=False)
    _errors(o.error for o in outcomes)


def _errors(messages: Iterable[str | None]) -> None:
    from trainmaster.redaction import redact

    err = console(stderr=True)
    for message in messages:
        if message:
            err.print(f"error: {redact(str(message))}", markup=False)


def _raise(error: Exception | None) -> None:
    if error is not None:
        raise error

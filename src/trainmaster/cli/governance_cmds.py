"""`plan`, `apply`, `drift`: GitHub protections, rulesets and environments as code."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated

import typer

from trainmaster.cli.context import Context, console, ctx, emit_json, step_summary

if TYPE_CHECKING:
    from trainmaster.adapters.github.client import GitHubClient
    from trainmaster.governance.model import Action, Outcome, RepoPlan

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
    plans, client = _plan(state, repo, org, include, exclude, api_url, concurrency)
    if explain:
        from trainmaster.governance.render import explain as explain_plan

        sys.stdout.write(explain_plan(plans, client.api_url))
    else:
        _show_plan(plans, state.json_output or json_output)
    _raise_for(plans)


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
    from trainmaster.errors import CheckFailed

    state = ctx(typer_ctx)
    plans, _ = _plan(state, repo, org, include, exclude, api_url, concurrency)
    _show_plan(plans, state.json_output or json_output)
    _raise_for(plans)
    drifted = [p.repo for p in plans if p.actions]
    if drifted:
        step_summary(f"Governance drift in {len(drifted)} repositories: {', '.join(drifted)}")
        from trainmaster.notify.wiring import record_drift  # notify: drift.detected (issue 20)

        found = [(p.repo, [a.as_json() for a in p.actions]) for p in plans if p.actions]
        record_drift(state.policy, state.store, state.actor, found)
        raise CheckFailed(f"drift in {len(drifted)} of {len(plans)} repositories")


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
    from trainmaster.errors import UsageError
    from trainmaster.governance import service

    state = ctx(typer_ctx)
    as_json = state.json_output or json_output
    plans, client = _plan(state, repo, org, include, exclude, api_url, concurrency)
    pending = sum(len(p.actions) for p in plans)
    if dry_run or pending == 0:
        _show_plan(plans, as_json)
        _raise_for(plans)
        return
    if not as_json:
        _show_plan(plans, False, errors=False)  # the outcome reports them once
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("apply changes GitHub: pass --yes (or --dry-run to see the plan)")
        typer.confirm(f"apply {pending} changes?", abort=True)
    _require(state, org, repo, reason)
    from trainmaster.adapters.github.governance import GitHubGovernance

    record = _recorder(state, reason, echo=not as_json)
    outcomes = service.apply(plans, GitHubGovernance(client), record)
    client.close()
    _show_outcomes(outcomes, as_json)
    error = service.exit_error(plans, outcomes)
    if error is not None:
        raise error


# --- shared -----------------------------------------------------------------------------------


def _plan(
    state: Context,
    repos: list[str] | None,
    org: str | None,
    include: list[str] | None,
    exclude: list[str] | None,
    api_url: str | None,
    concurrency: int,
) -> tuple[list[RepoPlan], GitHubClient]:
    from trainmaster.adapters.github import client_for
    from trainmaster.adapters.github.etags import StoreEtagCache
    from trainmaster.adapters.github.governance import GitHubGovernance
    from trainmaster.config.model import OrgSelection
    from trainmaster.governance import service

    policy = state.policy
    if org:
        selection = OrgSelection(org=org, include=include or ["*"], exclude=exclude or [])
        policy = policy.model_copy(
            update={"github": policy.github.model_copy(update={"org_repos": selection})}
        )
    client = client_for(policy, api_url=api_url, etags=StoreEtagCache(state.store()))
    api = GitHubGovernance(client)
    chosen = service.select_repos(policy, repos or [], api.org_repos)
    with console(stderr=True).status(f"reading {len(chosen)} repositories"):
        plans = service.plan(policy, api, chosen, concurrency=concurrency)
    client.etags.flush()
    return plans, client


def _show_plan(plans: list[RepoPlan], as_json: bool, errors: bool = True) -> None:
    from trainmaster.governance.render import plan_json, rows

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


def _show_outcomes(outcomes: list[Outcome], as_json: bool) -> None:
    from trainmaster.governance.render import outcome_json

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


def _raise_for(plans: list[RepoPlan]) -> None:
    from trainmaster.governance import service

    error = service.exit_error(plans)
    if error is not None:
        raise error


def _require(state: Context, org: str | None, repos: list[str] | None, reason: str) -> None:
    """Authorization right before the first write (a plan with no change needs none)."""
    from trainmaster.cli.authz_cmds import require

    where = f"github:{org}" if org else "github:" + ",".join(repos or state.policy.repos or ["-"])
    require(state, "governance.apply", where, reason)


def _recorder(state: Context, reason: str, echo: bool) -> Callable[[str, Action], None]:
    """Audit each write as it lands, and say so at once (writes on github.com are spaced)."""
    from trainmaster.audit.log import append_event

    store, actor, out = state.store(), state.actor, console()

    def record(repo: str, action: Action) -> None:
        with store.transaction() as session:
            append_event(
                session,
                actor=actor,
                action="governance.apply",
                target=f"github:{repo}",
                reason=reason,
                payload={**action.as_json(), "changes": list(action.changes)},
            )
        if echo:
            out.print(f"applied  {repo}  {action.op} {action.resource}", markup=False)

    return record

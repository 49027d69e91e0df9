"""`jobs list|show|retry|cancel` and `worker`: the durable jobs, read and steered."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trainmaster.cli.context import Context, console, ctx, emit_json

if TYPE_CHECKING:
    from trainmaster.jobs.model import Job, JobStatus
    from trainmaster.jobs.use_cases import JobChanged

jobs_app = typer.Typer(help="Durable jobs: what runs on its own, what ran, what failed.",
                       no_args_is_help=True)  # fmt: skip
Json = Annotated[bool, typer.Option("--json", help="Machine output on stdout.")]
Reason = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Say what would change; change nothing.")]


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")
    app.command("worker")(worker)


@jobs_app.command("list")
def list_cmd(
    typer_ctx: typer.Context,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="scheduled|running|succeeded|dead|cancelled"),
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="e.g. train.cut, gate.watch")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Newest N by run time.")] = 50,
    as_json: Json = False,
) -> None:
    """Jobs by run time, newest first: scheduled next, running, done, dead."""
    from trainmaster.jobs.use_cases import list_jobs

    state = ctx(typer_ctx)
    jobs = list_jobs(state.store(), status=_statuses(status), kind=kind, limit=limit)
    if as_json or state.json_output:
        emit_json([j.as_json() for j in jobs])
        return
    from rich.table import Table

    table = Table("id", "kind", "key", "status", "run at (UTC)", "tries", "owner / error")
    for j in jobs:
        note = j.last_error if j.status.value in ("dead", "scheduled") and j.last_error else j.owner
        table.add_row(str(j.id), j.kind, j.key, j.status.value, _when(j), f"{j.attempts}/"
                      f"{j.max_attempts}", note or "")  # fmt: skip
    console().print(table)


@jobs_app.command("show")
def show_cmd(
    typer_ctx: typer.Context,
    job: Annotated[str, typer.Argument(help="Job id or key.")],
    as_json: Json = False,
) -> None:
    """One job: its payload, attempts, lease, last error and result."""
    from trainmaster.jobs.use_cases import show_job

    state = ctx(typer_ctx)
    found = show_job(state.store(), job)
    if as_json or state.json_output:
        emit_json(found.as_json())
        return
    out = console()
    for name, value in found.as_json().items():
        out.print(f"{name}: {value}", markup=False)


@jobs_app.command("retry")
def retry_cmd(
    typer_ctx: typer.Context,
    job: Annotated[str, typer.Argument(help="Job id or key.")],
    reason: Reason,
    dry_run: DryRun = False,
    as_json: Json = False,
) -> None:
    """Run a dead (or cancelled) job again now."""
    _change(typer_ctx, "retry", job, reason, dry_run, as_json)


@jobs_app.command("cancel")
def cancel_cmd(
    typer_ctx: typer.Context,
    job: Annotated[str, typer.Argument(help="Job id or key.")],
    reason: Reason,
    dry_run: DryRun = False,
    as_json: Json = False,
) -> None:
    """Cancel a scheduled or running job."""
    _change(typer_ctx, "cancel", job, reason, dry_run, as_json)


def worker(
    typer_ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run what is due now, then exit.")] = False,
) -> None:
    """Run scheduled and deferred work from the store (no web front); SIGTERM drains."""
    from trainmaster.jobs.wiring import run_until_signalled, runner_for

    state = ctx(typer_ctx)
    base = state.policy_path.resolve().parent
    runner = runner_for(state.policy, state.store(), base, Path.cwd())
    if once:
        ran = runner.run_due()
        console(stderr=state.json_output).print(f"ran {len(ran)} job(s)", markup=False)
        return
    console(stderr=True).print(f"worker {runner.owner}: running jobs (Ctrl-C or SIGTERM stops)")
    run_until_signalled(runner)


def _statuses(names: list[str] | None) -> tuple[JobStatus, ...]:
    from trainmaster.errors import UsageError
    from trainmaster.jobs.model import JobStatus

    try:
        return tuple(JobStatus(n) for n in names or [])
    except ValueError as e:
        known = ", ".join(s.value for s in JobStatus)
        raise UsageError(f"--status: {e.args[0].split()[0]} is not one of {known}") from e


def _when(job: Job) -> str:
    return job.run_at.isoformat()[:19].replace("T", " ")


def _change(typer_ctx: typer.Context, verb: str, job: str, reason: str, dry_run: bool,
            as_json: bool) -> None:  # fmt: skip
    from trainmaster.jobs.use_cases import JobChange, cancel_job, retry_job

    state = ctx(typer_ctx)
    use_case = retry_job if verb == "retry" else cancel_job
    app = state.app()  # the composition root's authorizer, as every other command uses
    changed = use_case(app.store, app.authorizer, JobChange(job, state.actor, reason, dry_run))
    _show_change(state, changed, "retried" if verb == "retry" else "cancelled", as_json)


def _show_change(state: Context, changed: JobChanged, verb: str, as_json: bool) -> None:
    if as_json or state.json_output:
        emit_json({**changed.job.as_json(), "before": changed.before.value,
                   "applied": changed.applied})  # fmt: skip
        return
    job = changed.job
    if not changed.applied:
        console().print(f"would be {verb}: {job.key} ({job.status.value}); nothing changed")
        return
    console().print(f"{verb}: {job.key} (was {changed.before.value})", markup=False)

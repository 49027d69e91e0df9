"""`train …` (schedule, preview, cut, hotfix, artifact, deploy, verify, status, list, abort,
resume), `approve`, `promote`, `rollback`, `notes`, `announce`. Parse → service → render."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trainmaster.cli.context import Context, console, ctx, emit_json, step_summary

if TYPE_CHECKING:
    from trainmaster.train.use_cases import CutResult, TrainResult

train_app = typer.Typer(
    help="The release train: schedule, cut, hotfix, stages.", no_args_is_help=True
)

Env = Annotated[str, typer.Option("--env", help="Stage (environment), e.g. stage or prod.")]
Reason = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")]
Json = Annotated[bool, typer.Option("--json", help="Machine output on stdout.")]
TrainId = Annotated[str, typer.Argument(help="Train id, e.g. v1.4.0.")]
Prometheus = Annotated[str | None, typer.Option("--prometheus", help="Prometheus URL.")]
K6 = Annotated[Path | None, typer.Option("--k6", help="k6 summary JSON.")]
Smoke = Annotated[Path | None, typer.Option("--smoke", help="JUnit XML of smoke tests.")]
Migrations = Annotated[Path | None, typer.Option("--migrations", help="Migrations JSON.")]
CiChecks = Annotated[str | None, typer.Option("--ci-checks", help="success|failure|pending")]


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
    app.command("approve")(approve)
    app.command("promote")(promote)
    app.command("rollback")(rollback)


def _show_outcome(state: Context, result: TrainResult, done: str, as_json: bool) -> None:
    if as_json or state.json_output:
        emit_json(result.as_json())
        return
    out = console()
    if result.dry_run:
        out.print(f"plan ({result.message or 'no change'}); nothing changed:", markup=False)
        for item in result.planned:
            out.print(f"  {item['effect']} {item['stage']} {item.get('image') or ''}", markup=False)
        return
    out.print(result.message or done, markup=False)
    for item in result.applied:
        out.print(f"  {item['kind']}: {item.get('applied') or item.get('skipped')}", markup=False)


def _time(text: str | None, flag: str) -> datetime:
    from trainmaster.cli.gate_cmds import parse_instant

    return parse_instant(text, flag)


# --- train group -------------------------------------------------------------------------------


@train_app.command("schedule")
def schedule(
    typer_ctx: typer.Context,
    next_n: Annotated[int, typer.Option("--next", help="How many upcoming cuts.")] = 5,
    since: Annotated[str | None, typer.Option("--from", help="Start instant (RFC 3339).")] = None,
    as_json: Json = False,
) -> None:
    """Upcoming cuts from the cadence (cron + time zone), freeze windows and skip dates."""
    from trainmaster.train.schedule import upcoming

    state = ctx(typer_ctx)
    cuts = [c.as_dict() for c in upcoming(state.policy.train, _time(since, "--from"), next_n)]
    if as_json or state.json_output:
        emit_json({"timezone": state.policy.train.cadence.timezone, "cuts": cuts})
        return
    from rich.table import Table

    table = Table("when (local)", "UTC", "day", "status", "why")
    for c in cuts:
        table.add_row(
            c["at"][:16].replace("T", " "),
            c["at_utc"][:16].replace("T", " "),
            c["weekday"],
            c["status"],
            c["reason"],
        )
    console().print(table)


@train_app.command("preview")
def preview(
    typer_ctx: typer.Context,
    at: Annotated[
        str | None, typer.Option("--at", help="Cut time (default: the next cut).")
    ] = None,
    as_json: Json = False,
) -> None:
    """What happens at the next cut: commits, version, notes, gates, approvals. Changes nothing."""
    from trainmaster.train.use_cases import preview_cut

    state = ctx(typer_ctx)
    data = preview_cut(state.app(), _time(at, "--at") if at else None)
    if as_json or state.json_output:
        emit_json(data)
        return
    out = console()
    out.print(
        f"cut at {data['at']}: {data['tag']} ({len(data['commits'])} commits) on {data['branch']}",
        markup=False,
    )
    for reason in data["would_refuse"]:
        out.print(f"  would be refused: {reason}", markup=False)
    for s in data["stages"]:
        gates = ", ".join(s["gates"]) or "no gates"
        out.print(
            f"  {s['stage']}: {gates}; {s['approvals']} approval(s); wait {s['wait']}s",
            markup=False,
        )
    out.print("")
    out.print(data["notes"], markup=False)


@train_app.command("cut")
def cut(
    typer_ctx: typer.Context,
    dry_run: DryRun = False,
    override_reason: Annotated[
        str | None, typer.Option("--override-reason", help="Cut inside a freeze window, because…")
    ] = None,
    as_json: Json = False,
) -> None:
    """Cut the train: version, release branch, annotated tag, release draft with the notes."""
    from trainmaster.train import use_cases as train

    state = ctx(typer_ctx)
    request = train.CutInput(state.actor, override_freeze=override_reason, dry_run=dry_run)
    _show_plan(state, train.cut(state.app(), request), as_json)


@train_app.command("hotfix")
def hotfix(
    typer_ctx: typer.Context,
    from_tag: Annotated[str, typer.Option("--from", help="Released tag to branch from.")],
    pick: Annotated[list[str], typer.Option("--pick", help="Commit to cherry-pick (repeat).")],
    reason: Annotated[str, typer.Option("--reason", help="Why this hotfix.")] = "",
    dry_run: DryRun = False,
    as_json: Json = False,
) -> None:
    """The hotfix lane: branch from a released tag, cherry-pick, patch version, back-merge PR."""
    from trainmaster.train import use_cases as train

    state = ctx(typer_ctx)
    request = train.HotfixInput(state.actor, from_tag, tuple(pick), reason, dry_run)
    _show_plan(state, train.hotfix(state.app(), request), as_json)


def _show_plan(state: Context, result: CutResult, as_json: bool) -> None:
    if as_json or state.json_output:
        emit_json(result.as_json())
        return
    plan, dry_run = result.plan, result.dry_run
    out = console()
    verb = "would cut" if dry_run else "cut"
    out.print(
        f"{verb} {plan.tag} ({plan.kind}, {len(plan.changes)} commits) at {plan.sha[:12]}",
        markup=False,
    )
    for effect in plan.effects:
        params = effect.params
        name = params.get("name") or params.get("tag") or params.get("head") or ""
        out.print(f"  {'plan' if dry_run else 'done'}: {effect.kind} {name}", markup=False)
    for skipped in plan.skipped:
        out.print(f"  skipped: {skipped}", markup=False)
    if not dry_run:
        step_summary(plan.notes)


@train_app.command("artifact")
def artifact(
    typer_ctx: typer.Context,
    train: Annotated[str, typer.Argument(help="Train id, e.g. v1.4.0.")],
    digest: Annotated[str, typer.Argument(help="sha256:<hex> or repo@sha256:<hex>.")],
    as_json: Json = False,
) -> None:
    """Record the train's artifact digest; approvals and gate results bind to it."""
    from trainmaster.train import use_cases

    state = ctx(typer_ctx)
    request = use_cases.ArtifactInput(state.actor, train, digest)
    result = use_cases.artifact(state.app(), request)
    _show_outcome(state, result, f"{train}: artifact {result.state.digest}", as_json)


@train_app.command("deploy")
def deploy(
    typer_ctx: typer.Context,
    train: Annotated[str, typer.Argument()],
    env: Env,
    dry_run: DryRun = False,
    as_json: Json = False,
) -> None:
    """Deploy the train's artifact to a stage (gate order: the stage before must be promoted)."""
    from trainmaster.train import use_cases

    state = ctx(typer_ctx)
    request = use_cases.DeployInput(state.actor, train, env, dry_run=dry_run)
    result = use_cases.deploy(state.app(), request)
    _show_outcome(state, result, f"{train} deployed to {env}; now verify it", as_json)


@train_app.command("verify")
def verify(typer_ctx: typer.Context, train: TrainId, env: Env, prometheus: Prometheus = None,
           k6: K6 = None, smoke: Smoke = None, migrations: Migrations = None,
           ci_checks: CiChecks = None, as_json: Json = False) -> None:  # fmt: skip
    """Run the stage's gates for the deployed digest; a failure revokes its approvals."""
    from trainmaster.cli.gate_cmds import gather_inputs
    from trainmaster.train import use_cases

    state = ctx(typer_ctx)
    files = {"k6": k6, "locust": None, "smoke": smoke, "migrations": migrations}
    inputs = gather_inputs(state.policy, env, ci_checks=ci_checks, preview=None, **files)
    request = use_cases.VerifyInput(state.actor, train, env, inputs, prometheus)
    result = use_cases.verify(state.app(), request)
    view = result.state.stage(env)
    verdicts = ", ".join(f"{gate}={verdict.value}" for gate, verdict in result.verdicts)
    heading = f"{train} on {env}: {view.status.value}"
    done = f"{heading} ({verdicts})"
    _show_outcome(state, result, done, as_json)
    # pipeline (issue 14): the verdict per gate where the team looks, the job's step summary
    rows = "".join(f"| {gate} | {verdict} |\n" for gate, verdict in view.gate_verdicts)
    step_summary(f"### {heading}\n\n| gate | verdict |\n|---|---|\n{rows}")
    result.raise_for_verdict()


@train_app.command("status")
def status(
    typer_ctx: typer.Context,
    train: Annotated[str | None, typer.Argument()] = None,
    as_json: Json = False,
) -> None:
    """A train's state, per stage: gates, approvals counted, what promotion waits for."""
    from trainmaster.train.use_cases import train_status

    state = ctx(typer_ctx)
    data = train_status(state.app(), train)
    if as_json or state.json_output:
        emit_json(data)
        return
    _status_table(data)


def _status_table(data: dict[str, Any]) -> None:
    from rich.table import Table

    out = console()
    out.print(
        f"{data['train']} ({data['kind']}) {data['status']} digest={data['digest'] or '-'}",
        markup=False,
    )
    table = Table("stage", "status", "gates", "approvals", "waiting for")
    for s in data["stages"]:
        gates = ", ".join(f"{g}={v}" for g, v in s["gates"].items()) or "-"
        table.add_row(
            s["stage"],
            s["status"],
            gates,
            f"{s['counted']}/{s['quorum']}",
            "; ".join(s["waiting_for"]) or "-",
        )
    out.print(table)
    for key in data["pending_effects"]:
        out.print(f"pending effect: {key} (run `trainmaster train resume`)", markup=False)


@train_app.command("list")
def list_trains(typer_ctx: typer.Context, as_json: Json = False) -> None:
    """Every train, newest first."""
    from trainmaster.train.use_cases import train_list

    state = ctx(typer_ctx)
    rows = train_list(state.app())
    if as_json or state.json_output:
        emit_json([r.as_json() for r in rows])
        return
    from rich.table import Table

    table = Table("train", "kind", "status", "digest", "author", "created")
    for r in rows:
        digest = (r.digest or "-")[-19:]
        table.add_row(r.train, r.kind, r.status.value, digest, r.author, r.created_at[:16])
    console().print(table)


@train_app.command("abort")
def abort(
    typer_ctx: typer.Context,
    train: Annotated[str, typer.Argument()],
    reason: Reason,
    as_json: Json = False,
) -> None:
    """Abort a train that has not been released."""
    from trainmaster.train import use_cases

    state = ctx(typer_ctx)
    result = use_cases.abort(state.app(), use_cases.AbortInput(state.actor, train, reason))
    _show_outcome(state, result, f"{train} aborted", as_json)


@train_app.command("resume")
def resume(
    typer_ctx: typer.Context,
    train: Annotated[str | None, typer.Argument()] = None,
    as_json: Json = False,
) -> None:
    """Finish effects a killed run left pending (never repeats one already done)."""
    from trainmaster.train.use_cases import resume as resume_train

    state = ctx(typer_ctx)
    applied = resume_train(state.app(), state.actor, train)
    if as_json or state.json_output:
        emit_json({"applied": list(applied)})
        return
    console().print(f"resumed {len(applied)} pending effect(s)", markup=False)


# --- approve / promote / rollback ---------------------------------------------------------------


def approve(
    typer_ctx: typer.Context,
    train: Annotated[str, typer.Argument()],
    env: Env,
    reason: Reason,
    as_json: Json = False,
) -> None:
    """Approve a train's digest for a stage (distinct people, not its author, with a reason)."""
    from trainmaster.train import use_cases

    state = ctx(typer_ctx)
    request = use_cases.ApproveInput(state.actor, train, env, reason)
    result = use_cases.approve(state.app(), request)
    live = len([a for a in result.state.stage(env).approvals if not a.revoked])
    done = f"{state.actor} approved {train} for {env} ({live} approval(s) on record)"
    _show_outcome(state, result, done, as_json)


def promote(
    typer_ctx: typer.Context,
    train: Annotated[str, typer.Argument()],
    env: Env,
    reason: Reason,
    override_freeze: Annotated[
        str | None, typer.Option("--override-freeze", help="Promote inside a freeze, because…")
    ] = None,
    dry_run: DryRun = False,
    as_json: Json = False,
) -> None:
    """Promote a verified, approved digest (exit 5 listing every unmet rule)."""
    from trainmaster.train import use_cases

    state = ctx(typer_ctx)
    request = use_cases.PromoteInput(
        state.actor, train, env, reason, override_freeze=override_freeze, dry_run=dry_run
    )
    result = use_cases.promote(state.app(), request)
    _show_outcome(state, result, f"{train} promoted to {env}", as_json)


def rollback(
    typer_ctx: typer.Context,
    env: Env,
    reason: Reason,
    to: Annotated[
        str | None, typer.Option("--to", help="Digest to pin (default: the last known good).")
    ] = None,
    train: Annotated[
        str | None, typer.Option("--train", help="Train (default: whose release leaves ENV).")
    ] = None,
    dry_run: DryRun = False,
    as_json: Json = False,
) -> None:
    """Roll a stage back in one command: pin its last known-good (or the given) digest."""
    from trainmaster.train import use_cases

    state = ctx(typer_ctx)
    request = use_cases.RollbackInput(state.actor, env, reason, to, train, dry_run)
    result = use_cases.rollback(state.app(), request)
    _show_outcome(state, result, f"{result.train} rolled back on {env}", as_json)

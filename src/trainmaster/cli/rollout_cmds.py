"""`rollout status|deploy|promote|abort|undo|pin|retry|restart` and `preview up|down|sweep`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from trainmaster.cli.context import Context, console, ctx, emit_json

if TYPE_CHECKING:
    from trainmaster.rollout.plan import Operation, Plan
    from trainmaster.rollout.use_cases import Where

rollout_app = typer.Typer(
    help="Blue-green rollouts: deploy, promote, abort, undo, pin, retry, restart."
)
preview_app = typer.Typer(help="Preview environments per pull request, with TTL cleanup.")

NS = Annotated[str | None, typer.Option("--ns", "-n", help="Namespace of the rollout.")]
NAME = Annotated[str | None, typer.Option("--rollout", help="Rollout name (default: service).")]
STAGE = Annotated[str | None, typer.Option("--stage", help="Stage (default: by namespace).")]
DRY = Annotated[bool, typer.Option("--dry-run", help="Print the exact patches; send nothing.")]
REASON = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")]
CONTAINER = Annotated[str | None, typer.Option("--container", help="Container to set.")]
GO_LIVE = Annotated[
    bool, typer.Option("--promote/--no-promote", help="Make the restored colour live at once.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(rollout_app, name="rollout")
    app.add_typer(preview_app, name="preview")


def _act(typer_ctx: typer.Context, where: Where, op: Operation, dry_run: bool, reason: str,
         go_live: bool = False) -> None:  # fmt: skip
    from trainmaster.rollout.use_cases import RolloutInput, act

    state = ctx(typer_ctx)
    result = act(state.app(), RolloutInput(state.actor, op, where, reason, dry_run, go_live))
    for step in result.steps:
        _show(state, step.plan, step.applied, dry_run)
    if result.then_promote:
        _then_promote(state)


def _where(ns: str | None, rollout: str | None, stage: str | None) -> Where:
    from trainmaster.rollout.use_cases import Where

    return Where(stage, ns, rollout)


def _show(state: Context, plan: Plan, applied: bool, dry_run: bool) -> None:
    if state.json_output:
        emit_json({**plan.as_dict(), "applied": applied, "dry_run": dry_run})
        return
    err = console(stderr=True)
    for warning in plan.warnings:
        err.print(f"warning: {warning}", markup=False)
    out = console()
    where = f"{plan.namespace}/{plan.name}"
    if plan.noop:
        out.print(f"{where}: nothing to do ({plan.summary})", markup=False)
        return
    verb = "would send" if dry_run else "sent"
    out.print(f"{where}: {plan.summary} — {verb}:", markup=False)
    for patch in plan.patches:
        out.print(f"  {patch.render()}", markup=False)
        if patch.fallback is not None:
            out.print(f"    on 404 of /status: {patch.fallback.render()}", markup=False)


def _then_promote(state: Context) -> None:
    if not state.json_output:
        console().print(
            "  then, once the controller has observed it: PATCH/status "
            '(application/merge-patch+json) {"status": {"promoteFull": true}}',
            markup=False,
        )


@rollout_app.command("status")
def status(typer_ctx: typer.Context, ns: NS = None, rollout: NAME = None,
           stage: STAGE = None) -> None:  # fmt: skip
    """Show the rollout: phase, stable (active) and preview images, revision (exit 1 when
    Degraded)."""
    from trainmaster.rollout.use_cases import status as rollout_status

    state = ctx(typer_ctx)
    current = rollout_status(state.app(), _where(ns, rollout, stage))
    data = {
        "namespace": current.target.namespace,
        "rollout": current.target.name,
        "phase": current.phase,
        "stable": current.stable,
        "preview": current.preview,
        "revision": current.revision,
        "paused": current.paused,
        "message": current.message,
    }
    if state.json_output:
        emit_json(data)
    else:
        for key, value in data.items():
            console().print(f"{key:>10}: {value if value is not None else '-'}", markup=False)
    if current.phase == "Degraded":  # as `kubectl argo rollouts status` fails on Degraded
        from trainmaster.errors import CheckFailed

        where = f"{current.target.namespace}/{current.target.name}"
        raise CheckFailed(f"rollout {where} is Degraded: {current.message or 'see status'}")


@rollout_app.command("deploy")
def deploy(typer_ctx: typer.Context,
           image: Annotated[str, typer.Argument(help="repo@sha256:<64 hex>")],
           ns: NS = None, rollout: NAME = None, stage: STAGE = None, container: CONTAINER = None,
           dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Roll out IMAGE (by digest) as the new colour."""
    from trainmaster.rollout.argo import require_digest
    from trainmaster.rollout.plan import Operation

    op = Operation("deploy", image=require_digest(image), container=container)
    _act(typer_ctx, _where(ns, rollout, stage), op, dry_run, reason)


@rollout_app.command("pin")
def pin(typer_ctx: typer.Context,
        image: Annotated[str, typer.Argument(help="Known-good repo@sha256:<64 hex>")],
        ns: NS = None, rollout: NAME = None, stage: STAGE = None, container: CONTAINER = None,
        go_live: GO_LIVE = True, dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Pin the rollout to a known-good immutable digest (a tag is refused)."""
    from trainmaster.rollout.argo import require_digest
    from trainmaster.rollout.plan import Operation

    op = Operation("pin", image=require_digest(image), container=container)
    _act(typer_ctx, _where(ns, rollout, stage), op, dry_run, reason, go_live)


@rollout_app.command("promote")
def promote(typer_ctx: typer.Context, ns: NS = None, rollout: NAME = None,
            stage: STAGE = None,
            full: Annotated[bool, typer.Option("--full", help="Skip pauses and analysis.")] = False,
            dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Promote the preview colour (unpause; --full: status.promoteFull)."""
    from trainmaster.rollout.plan import Operation

    _act(typer_ctx, _where(ns, rollout, stage), Operation("promote", full=full), dry_run, reason)


@rollout_app.command("abort")
def abort(typer_ctx: typer.Context, ns: NS = None, rollout: NAME = None, stage: STAGE = None,
          dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Abort the update: traffic stays on (or returns to) the stable colour."""
    from trainmaster.rollout.plan import Operation

    _act(typer_ctx, _where(ns, rollout, stage), Operation("abort"), dry_run, reason)


@rollout_app.command("undo")
def undo(typer_ctx: typer.Context, ns: NS = None, rollout: NAME = None, stage: STAGE = None,
         to_revision: Annotated[int | None, typer.Option("--to-revision", min=1)] = None,
         go_live: GO_LIVE = True,
         dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Roll back to the previous revision (or --to-revision) and, by default, make it live."""
    from trainmaster.rollout.plan import Operation

    op = Operation("undo", to_revision=to_revision)
    _act(typer_ctx, _where(ns, rollout, stage), op, dry_run, reason, go_live)


@rollout_app.command("retry")
def retry(typer_ctx: typer.Context, ns: NS = None, rollout: NAME = None, stage: STAGE = None,
          dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Retry an aborted update: the new colour comes back as a preview (status.abort false)."""
    from trainmaster.rollout.plan import Operation

    _act(typer_ctx, _where(ns, rollout, stage), Operation("retry"), dry_run, reason)


@rollout_app.command("restart")
def restart(typer_ctx: typer.Context, ns: NS = None, rollout: NAME = None, stage: STAGE = None,
            dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Restart the pods of the rollout now (spec.restartAt); the release is unchanged."""
    from trainmaster.rollout.plan import Operation

    _act(typer_ctx, _where(ns, rollout, stage), Operation("restart"), dry_run, reason)


PR = Annotated[int, typer.Option("--pr", min=1, help="Pull request number.")]


@preview_app.command("up")
def preview_up(typer_ctx: typer.Context, pr: PR,
               image: Annotated[str | None, typer.Option(help="Local target: run this.")] = None,
               dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Create (or refresh) the preview namespace of PR N, labelled, with its expiry."""
    from trainmaster.rollout import preview_use_cases as previews

    state = ctx(typer_ctx)
    request = previews.PreviewUpInput(state.actor, pr, image, reason, dry_run)
    result = previews.preview_up(state.app(), request)
    _emit(
        state, result.as_json(), None if dry_run else f"preview {result.namespace} {result.result}"
    )


@preview_app.command("down")
def preview_down(typer_ctx: typer.Context, pr: PR, dry_run: DRY = False,
                 reason: REASON = "") -> None:  # fmt: skip
    """Delete the preview namespace of PR N (only one trainmaster manages)."""
    from trainmaster.rollout import preview_use_cases as previews

    state = ctx(typer_ctx)
    request = previews.PreviewDownInput(state.actor, pr, reason, dry_run)
    result = previews.preview_down(state.app(), request)
    ns = result.namespace
    text = (
        f"would delete namespace {ns}"
        if dry_run
        else f"deleted {ns}"
        if result.deleted
        else f"{ns} already gone"
    )
    _emit(state, result.as_json(), text)


@preview_app.command("sweep")
def preview_sweep(typer_ctx: typer.Context,
                  repo: Annotated[str | None, typer.Option(help="OWNER/REPO of the PRs.")] = None,
                  dry_run: DRY = False, reason: REASON = "TTL sweep") -> None:  # fmt: skip
    """Delete expired preview namespaces and those whose PR is closed (plan shown first)."""
    from trainmaster.rollout import preview_use_cases as previews

    state = ctx(typer_ctx)
    request = previews.SweepInput(state.actor, repo, reason, dry_run)
    result = previews.preview_sweep(state.app(), request)
    if state.json_output:
        emit_json(result.as_json())
        return
    if not result.pull_requests_checked:
        console(stderr=True).print("warning: no forge or repository: only expiry counts")
    for item in result.plan:
        console().print(f"delete {item.namespace}: {item.reason}", markup=False)
    if not result.plan:
        console().print("nothing to sweep")


def _emit(state: Context, data: dict[str, Any], text: str | None = None) -> None:
    if state.json_output or text is None:
        import json

        if state.json_output:
            emit_json(data)
        else:
            console().print(json.dumps(data, indent=2), markup=False)
        return
    console().print(text, markup=False)

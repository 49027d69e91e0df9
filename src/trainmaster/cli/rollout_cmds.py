"""`rollout status|deploy|promote|abort|undo|pin|retry|restart` and `preview up|down|sweep`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from trainmaster.cli.context import Context, console, ctx, emit_json

if TYPE_CHECKING:
    from trainmaster.rollout.plan import Operation, Plan
    from trainmaster.rollout.port import Target
    from trainmaster.rollout.service import Outcome

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


def _target(state: Context, ns: str | None, name: str | None, stage: str | None) -> Target:
    from trainmaster.errors import UsageError
    from trainmaster.rollout.backends import target_for
    from trainmaster.rollout.port import Target

    policy = state.policy
    if stage is not None:
        base = target_for(policy, stage)
        return Target(stage, ns or base.namespace, name or base.name)
    if ns is None:
        raise UsageError("give --ns NAMESPACE or --stage STAGE")
    found = next((s for s, spec in policy.stages.items() if spec.namespace == ns), None)
    service = policy.stages[found].service if found else policy.project.name
    return Target(found or ns, ns, name or service)


def _cluster(state: Context) -> Any:
    from trainmaster.rollout.backends import cluster_for

    # shared: on the local backend, releases must outlive this invocation (a running supervisor)
    return cluster_for(state.policy, base_dir=state.policy_path.resolve().parent, shared=True)


def _audit(state: Context, reason: str) -> Any:
    def record(action: str, target: str, payload: dict[str, Any]) -> None:
        state.audit().append(
            actor=state.actor, action=action, target=target, reason=reason, payload=payload
        )

    return record


def _authorize(typer_ctx: typer.Context, ns: str | None, name: str | None, stage: str | None,
               action: str, dry_run: bool, reason: str) -> None:  # fmt: skip
    """Authorization before any effect; a dry run sends nothing, so it is not asked."""
    if dry_run:
        return
    from trainmaster.cli.authz_cmds import require

    state = ctx(typer_ctx)
    target = _target(state, ns, name, stage)
    require(state, action, f"{target.namespace}/{target.name}", reason, stage=target.stage)


def _run(typer_ctx: typer.Context, ns: str | None, name: str | None, stage: str | None,
         op: Operation, dry_run: bool, reason: str) -> Outcome:  # fmt: skip
    from trainmaster.rollout.service import execute

    state = ctx(typer_ctx)
    target = _target(state, ns, name, stage)
    outcome = execute(_cluster(state), target, op, dry_run=dry_run, audit=_audit(state, reason))
    _show(state, outcome.plan, outcome.applied, dry_run)
    return outcome


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
    state = ctx(typer_ctx)
    current = _cluster(state).status(_target(state, ns, rollout, stage))
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
    _authorize(typer_ctx, ns, rollout, stage, "rollout.deploy", dry_run, reason)
    _run(typer_ctx, ns, rollout, stage, op, dry_run, reason)


@rollout_app.command("pin")
def pin(typer_ctx: typer.Context,
        image: Annotated[str, typer.Argument(help="Known-good repo@sha256:<64 hex>")],
        ns: NS = None, rollout: NAME = None, stage: STAGE = None, container: CONTAINER = None,
        go_live: GO_LIVE = True, dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Pin the rollout to a known-good immutable digest (a tag is refused)."""
    from trainmaster.rollout.argo import require_digest
    from trainmaster.rollout.plan import Operation

    op = Operation("pin", image=require_digest(image), container=container)
    _authorize(typer_ctx, ns, rollout, stage, "rollout.pin", dry_run, reason)
    outcome = _run(typer_ctx, ns, rollout, stage, op, dry_run, reason)
    if go_live and outcome.applied:  # a pin is a rollback: live at once, not a paused preview
        _run(typer_ctx, ns, rollout, stage, Operation("promote", full=True), dry_run, reason)
    elif go_live and dry_run and not outcome.plan.noop:
        _then_promote(ctx(typer_ctx))


@rollout_app.command("promote")
def promote(typer_ctx: typer.Context, ns: NS = None, rollout: NAME = None,
            stage: STAGE = None,
            full: Annotated[bool, typer.Option("--full", help="Skip pauses and analysis.")] = False,
            dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Promote the preview colour (unpause; --full: status.promoteFull)."""
    from trainmaster.rollout.plan import Operation

    _authorize(typer_ctx, ns, rollout, stage, "rollout.promote", dry_run, reason)
    _run(typer_ctx, ns, rollout, stage, Operation("promote", full=full), dry_run, reason)


@rollout_app.command("abort")
def abort(typer_ctx: typer.Context, ns: NS = None, rollout: NAME = None, stage: STAGE = None,
          dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Abort the update: traffic stays on (or returns to) the stable colour."""
    from trainmaster.rollout.plan import Operation

    _authorize(typer_ctx, ns, rollout, stage, "rollout.abort", dry_run, reason)
    _run(typer_ctx, ns, rollout, stage, Operation("abort"), dry_run, reason)


@rollout_app.command("undo")
def undo(typer_ctx: typer.Context, ns: NS = None, rollout: NAME = None, stage: STAGE = None,
         to_revision: Annotated[int | None, typer.Option("--to-revision", min=1)] = None,
         go_live: GO_LIVE = True,
         dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Roll back to the previous revision (or --to-revision) and, by default, make it live."""
    from trainmaster.rollout.plan import Operation

    _authorize(typer_ctx, ns, rollout, stage, "rollout.undo", dry_run, reason)
    outcome = _run(typer_ctx, ns, rollout, stage, Operation("undo", to_revision=to_revision),
                   dry_run, reason)  # fmt: skip
    if go_live and outcome.applied:
        _run(typer_ctx, ns, rollout, stage, Operation("promote", full=True), dry_run, reason)
    elif go_live and dry_run and not outcome.plan.noop:
        _then_promote(ctx(typer_ctx))


@rollout_app.command("retry")
def retry(typer_ctx: typer.Context, ns: NS = None, rollout: NAME = None, stage: STAGE = None,
          dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Retry an aborted update: the new colour comes back as a preview (status.abort false)."""
    from trainmaster.rollout.plan import Operation

    _authorize(typer_ctx, ns, rollout, stage, "rollout.retry", dry_run, reason)
    _run(typer_ctx, ns, rollout, stage, Operation("retry"), dry_run, reason)


@rollout_app.command("restart")
def restart(typer_ctx: typer.Context, ns: NS = None, rollout: NAME = None, stage: STAGE = None,
            dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Restart the pods of the rollout now (spec.restartAt); the release is unchanged."""
    from trainmaster.rollout.plan import Operation

    _authorize(typer_ctx, ns, rollout, stage, "rollout.restart", dry_run, reason)
    _run(typer_ctx, ns, rollout, stage, Operation("restart"), dry_run, reason)


PR = Annotated[int, typer.Option("--pr", min=1, help="Pull request number.")]


@preview_app.command("up")
def preview_up(typer_ctx: typer.Context, pr: PR,
               image: Annotated[str | None, typer.Option(help="Local target: run this.")] = None,
               dry_run: DRY = False, reason: REASON = "") -> None:  # fmt: skip
    """Create (or refresh) the preview namespace of PR N, labelled, with its expiry."""
    from datetime import UTC, datetime

    from trainmaster.errors import UsageError
    from trainmaster.rollout.argo import require_digest
    from trainmaster.rollout.previews import plan_up

    state = ctx(typer_ctx)
    plan = plan_up(state.policy, pr, datetime.now(UTC))
    if dry_run:
        _emit(state, {"namespace": plan.namespace, "manifest": plan.manifest, "dry_run": True})
        return
    _require(state, "preview.up", plan.namespace, reason)
    host = _cluster(state)
    if image is None:
        result = host.preview_up(plan.manifest)
    elif getattr(host, "backend", "") == "local":
        result = host.preview_up(plan.manifest, image=require_digest(image))
    else:
        raise UsageError(
            "--image runs a preview on the local target only; on Kubernetes the "
            "preview-deploy job applies the manifests into the namespace"
        )
    payload = {"namespace": plan.namespace, "pr": pr, "result": result, "manifest": plan.manifest}
    _audit(state, reason)("preview.up", plan.namespace, payload)
    _emit(state, payload, f"preview {plan.namespace} {result}")


@preview_app.command("down")
def preview_down(typer_ctx: typer.Context, pr: PR, dry_run: DRY = False,
                 reason: REASON = "") -> None:  # fmt: skip
    """Delete the preview namespace of PR N (only one trainmaster manages)."""
    from trainmaster.rollout.previews import namespace_for

    state = ctx(typer_ctx)
    namespace = namespace_for(state.policy, pr)
    if dry_run:
        _emit(state, {"namespace": namespace, "delete": True, "dry_run": True},
              f"would delete namespace {namespace}")  # fmt: skip
        return
    _require(state, "preview.down", namespace, reason)
    deleted = _cluster(state).preview_down(namespace)
    if deleted:
        _audit(state, reason)("preview.down", namespace, {"namespace": namespace, "pr": pr})
    _emit(state, {"namespace": namespace, "deleted": deleted},
          f"deleted {namespace}" if deleted else f"{namespace} already gone")  # fmt: skip


@preview_app.command("sweep")
def preview_sweep(typer_ctx: typer.Context,
                  repo: Annotated[str | None, typer.Option(help="OWNER/REPO of the PRs.")] = None,
                  dry_run: DRY = False, reason: REASON = "TTL sweep") -> None:  # fmt: skip
    """Delete expired preview namespaces and those whose PR is closed (plan shown first)."""
    from datetime import UTC, datetime

    from trainmaster.rollout.previews import plan_sweep

    state = ctx(typer_ctx)
    if not dry_run:
        _require(state, "preview.sweep", "previews", reason)
    host, forge, repo = _cluster(state), _forge(state), repo or _repo(state)
    if forge is None or not repo:
        console(stderr=True).print("warning: no forge or repository: only expiry counts")
    chosen = plan_sweep(host, forge, repo, datetime.now(UTC))
    items = [{"namespace": i.namespace, "pr": i.pr, "reason": i.reason} for i in chosen]
    if not state.json_output:
        for item in items:
            console().print(f"delete {item['namespace']}: {item['reason']}", markup=False)
        if not items:
            console().print("nothing to sweep")
    deleted = []
    for item in [] if dry_run else items:
        if host.preview_down(item["namespace"]):
            deleted.append(item["namespace"])
            _audit(state, reason)("preview.sweep", item["namespace"], item)
    if state.json_output:
        emit_json({"plan": items, "deleted": deleted, "dry_run": dry_run})


def _require(state: Context, action: str, target: str, reason: str) -> None:
    from trainmaster.cli.authz_cmds import require

    require(state, action, target, reason)


def _forge(state: Context) -> Any:
    from trainmaster.adapters.github import forge_for

    return forge_for(state.policy)


def _repo(state: Context) -> str | None:
    return state.policy.repos[0] if state.policy.repos else None


def _emit(state: Context, data: dict[str, Any], text: str | None = None) -> None:
    if state.json_output or text is None:
        import json

        if state.json_output:
            emit_json(data)
        else:
            console().print(json.dumps(data, indent=2), markup=False)
        return
    console().print(text, markup=False)

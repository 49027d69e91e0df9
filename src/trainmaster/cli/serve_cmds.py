"""`serve` (the web server on the CLI's own store) and `token create|list|revoke` (personal
API tokens for automation). Parse → web package → print."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from trainmaster.cli.context import Context, console, ctx, emit_json

if TYPE_CHECKING:
    from trainmaster.rollout.preview import PreviewEnv
    from trainmaster.web.settings import Site
    from trainmaster.wiring import App

token_app = typer.Typer(help="Personal API tokens for /api/v1 (stored hashed).")
Json = Annotated[bool, typer.Option("--json", help="Machine output on stdout.")]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(token_app, name="token")


def site_for(state: Context) -> Site:
    """The web's view of this workspace: the CLI's own composition root (policy, store,
    cluster, metrics), sign-in from the environment."""
    from trainmaster.web.settings import Site, oauth_from_env, session_secret

    app = state.app()
    return Site(
        backends=app,
        secret=session_secret(app.base_dir / ".trainmaster"),
        oauth=oauth_from_env(app.policy),
        metrics=app.metrics,  # built on the first dashboard view, then kept
        previews=lambda: _previews(app),
    )


def _previews(app: App) -> list[PreviewEnv]:
    """The cluster's preview namespaces, when its backend has previews (Kubernetes)."""
    listed = getattr(app.built_cluster(), "previews", None)
    return list(listed()) if callable(listed) else []


def serve(
    typer_ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    public_url: Annotated[
        str | None, typer.Option("--public-url", help="URL people reach (OAuth callback).")
    ] = None,
    jobs: Annotated[
        bool, typer.Option("--jobs/--no-jobs", help="Run the durable jobs in this process too.")
    ] = True,
) -> None:
    """Serve the board, trains, golden signals, audit log and previews, with approve, promote,
    rollback and abort behind GitHub sign-in (docs/architecture.md, "web")."""
    import uvicorn

    from trainmaster.web.app import create_app

    state = ctx(typer_ctx)
    site = site_for(state)
    site.public_url = public_url or ""
    stop_jobs = _start_jobs(state, site) if jobs else None
    console(stderr=True).print(f"trainmaster serving on http://{host}:{port}", markup=False)
    try:
        uvicorn.run(
            create_app(site),
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
    finally:
        if stop_jobs is not None:
            stop_jobs()  # drain: running jobs finish, or their leases lapse to another replica


def _start_jobs(state: Context, site: Site) -> Callable[[], None]:
    """The job runner (issue 19) on a thread of this process; /readyz and /jobs read it."""
    from pathlib import Path

    from trainmaster.jobs.wiring import run_in_background, runner_for

    base = state.policy_path.resolve().parent
    runner = runner_for(state.policy, state.store(), base, Path.cwd())
    site.cache["runner"] = runner
    return run_in_background(runner)


@token_app.command("create")
def create(
    typer_ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. ci-bot.")],
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", help="Expire after this many days.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Issue a token for the acting person (--actor); it is printed once and stored hashed."""
    from trainmaster.web.tokens import create_token

    state = ctx(typer_ctx)
    secret, info = create_token(state.store(), state.actor, name, datetime.now(UTC), expires_days)
    if as_json or state.json_output:
        emit_json({**info.as_dict(), "token": secret})
        return
    out = console()
    out.print(f"token {info.id} ({info.name}) for {info.owner}; shown once:", markup=False)
    out.print(secret, markup=False)


@token_app.command("list")
def list_tokens(typer_ctx: typer.Context, as_json: Json = False) -> None:
    """The acting person's tokens (never the secrets)."""
    from trainmaster.web.tokens import list_tokens as listed

    state = ctx(typer_ctx)
    rows = [t.as_dict() for t in listed(state.store(), state.actor)]
    if as_json or state.json_output:
        emit_json(rows)
        return
    from rich.table import Table

    table = Table("id", "name", "prefix", "created", "expires", "last used", "revoked")
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["name"]),
            str(r["prefix"]),
            str(r["created_at"])[:16],
            str(r["expires_at"] or "-")[:16],
            str(r["last_used_at"] or "-")[:16],
            "yes" if r["revoked"] else "no",
        )
    console().print(table)


@token_app.command("revoke")
def revoke(
    typer_ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(help="The token's id (from `token list`).")],
    as_json: Json = False,
) -> None:
    """Revoke one of the acting person's tokens; it stops working at once."""
    from trainmaster.web.tokens import revoke_token

    state = ctx(typer_ctx)
    info = revoke_token(state.store(), token_id, state.actor, datetime.now(UTC))
    if as_json or state.json_output:
        emit_json(info.as_dict())
        return
    console().print(f"token {info.id} ({info.name}) revoked", markup=False)

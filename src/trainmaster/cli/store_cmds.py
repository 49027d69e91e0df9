"""`db upgrade`, `audit log`, `audit verify`."""

from __future__ import annotations

from typing import Annotated

import typer

from trainmaster.cli.context import console, ctx, emit_json
from trainmaster.errors import CheckFailed

db_app = typer.Typer(help="The store: migrations.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit chain: read and verify.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(audit_app, name="audit")


@db_app.command("upgrade")
def upgrade(typer_ctx: typer.Context) -> None:
    """Migrate the store to the newest schema (idempotent)."""
    import os

    from trainmaster.store import open_store

    state = ctx(typer_ctx)
    url = os.environ.get("TRAINMASTER_STORE_URL") or state.policy.store.url
    store = open_store(url, state.policy_path.resolve().parent, upgrade=True)
    store.dispose()
    if state.json_output:
        emit_json({"upgraded": True})
    else:
        console().print("store is at the newest schema")


@audit_app.command("log")
def log(
    typer_ctx: typer.Context,
    target: Annotated[str | None, typer.Option(help="Only events whose target starts so.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action.")] = None,
    limit: Annotated[int, typer.Option(help="Newest N events (0 for all).")] = 50,
) -> None:
    """Show audit events: who, what, why, when."""
    state = ctx(typer_ctx)
    events = list(state.audit().events(target=target, action=action))
    if limit:
        events = events[-limit:]
    if state.json_output:
        emit_json([e.as_dict() for e in events])
        return
    from rich.table import Table

    table = Table("seq", "when (UTC)", "actor", "action", "target", "reason")
    for e in events:
        table.add_row(
            str(e.seq), e.at[:19].replace("T", " "), e.actor, e.action, e.target, e.reason
        )
    console().print(table)


@audit_app.command("verify")
def verify(typer_ctx: typer.Context) -> None:
    """Check the whole hash chain and its signed head (kept outside the store): exit 0, or 1
    naming the first broken seq, a deleted tail or a rewritten chain."""
    from trainmaster.audit.checkpoint import check_heads

    state = ctx(typer_ctx)
    log = state.audit()
    broken = log.verify()
    count = sum(1 for _ in log.events())
    heads = check_heads(state.store())
    intact = broken is None and not heads.problems
    if state.json_output:
        emit_json(
            {
                "intact": intact,
                "events": count,
                "first_broken_seq": broken,
                "head_problems": list(heads.problems),
                "head_notes": list(heads.notes),
            }
        )
    if broken is not None:
        raise CheckFailed(f"audit chain broken at seq {broken}")
    if heads.problems:
        raise CheckFailed(f"audit chain not intact: {heads.problems[0]}")
    if not state.json_output:
        for note in heads.notes:
            console(stderr=True).print(f"note: {note}", markup=False)
        console().print(f"audit chain intact ({count} events, signed head matches)")

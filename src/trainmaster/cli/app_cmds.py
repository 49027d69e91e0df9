"""`app manifest|deliveries`: trainmaster as a GitHub App (issue 18)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from trainmaster.cli.context import console, ctx, emit_json

app_app = typer.Typer(help="trainmaster as a GitHub App: its manifest, the webhooks received.",
                      no_args_is_help=True)  # fmt: skip
Json = Annotated[bool, typer.Option("--json", help="Machine output on stdout.")]


def register(app: typer.Typer) -> None:
    app.add_typer(app_app, name="app")


@app_app.command("manifest")
def manifest_cmd(
    url: Annotated[str, typer.Option("--url", help="Where trainmaster serve is reached.")],
    name: Annotated[str, typer.Option("--name", help="The App's name on GitHub.")] = "trainmaster",
) -> None:
    """The GitHub App manifest (JSON) for one-click creation; see docs/github-app.md."""
    from trainmaster.github_app.manifest import manifest

    typer.echo(json.dumps(manifest(url, name), indent=2))


@app_app.command("deliveries")
def deliveries_cmd(
    typer_ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Newest N.")] = 50,
    as_json: Json = False,
) -> None:
    """Webhook deliveries, newest first: event, action, when received and processed, outcome."""
    from trainmaster.store import deliveries

    state = ctx(typer_ctx)
    with state.store().transaction() as session:
        found = deliveries.listing(session, limit)
    if as_json or state.json_output:
        emit_json([d.as_json() for d in found])
        return
    from rich.table import Table

    table = Table("delivery", "event", "action", "received", "processed", "outcome")
    for d in found:
        processed = d.processed_at.isoformat(timespec="seconds") if d.processed_at else "-"
        table.add_row(d.delivery, d.event, d.action, d.received_at.isoformat(timespec="seconds"),
                      processed, d.outcome)  # fmt: skip
    console().print(table)

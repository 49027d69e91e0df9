"""`notes` and `announce`: release notes and the change announcement from Conventional Commits."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trainmaster.cli.context import Context, ctx


def register(app: typer.Typer) -> None:
    app.command("notes")(notes)
    app.command("announce")(announce)


Range = Annotated[
    str | None,
    typer.Argument(help="FROM..TO, or a revision for its whole history (default: last tag..HEAD)."),
]
Format = Annotated[str, typer.Option("--format", help="md, json or slack.")]


def notes(typer_ctx: typer.Context, revisions: Range = None, fmt: Format = "md") -> None:
    """Release notes from Conventional Commits: features, fixes, flags, migrations, SLO status."""
    _notes(ctx(typer_ctx), revisions, fmt, "release")


def announce(typer_ctx: typer.Context, revisions: Range = None, fmt: Format = "md") -> None:
    """The change announcement: impact, risk & rollback, owner & on-call, migrations & flags."""
    _notes(ctx(typer_ctx), revisions, fmt, "announce")


def _notes(state: Context, revisions: str | None, fmt: str, kind: str) -> None:
    import sys

    from trainmaster.notes.render import check_format
    from trainmaster.train.notes_source import render_notes

    chosen = check_format("json" if state.json_output else fmt)
    has_policy = state.policy_path.exists()
    text = render_notes(
        state.policy if has_policy else None,
        Path.cwd(),
        revisions,
        fmt=chosen,
        kind=kind,  # type: ignore[arg-type]
        store=state.store if has_policy else None,
        base_dir=state.policy_path.resolve().parent,
    )
    sys.stdout.write(text)

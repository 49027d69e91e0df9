"""`trainmaster demo`: a whole release train on embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trainmaster.errors import CheckFailed


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    keep: Annotated[
        Path | None, typer.Option(help="Build the workspace here and keep it afterwards.")
    ] = None,
) -> None:
    """Run two release trains on this machine: one promoted, one rolled back automatically."""
    from trainmaster.demo.run import run_demo
    from trainmaster.demo.show import Show

    show = Show()
    outcome = run_demo(keep, show)
    show.heading("summary")
    for train in outcome.shipped:
        show.good(f"shipped {train}")
    for train, reason in outcome.rolled_back:
        show.bad(f"rolled back {train}: {reason}")
    for path in outcome.evidence:
        show.step(f"evidence: {path}" if keep else f"evidence verified: {path.name}")
    complete = (
        len(outcome.shipped) == 1
        and len(outcome.rolled_back) == 1
        and len(outcome.evidence) == 2
        and outcome.audit_intact
    )
    if not complete:
        raise CheckFailed("the demo did not reach its outcome (see above)")
    show.step(f"done in {__import__('time').monotonic() - show.started:.0f}s")

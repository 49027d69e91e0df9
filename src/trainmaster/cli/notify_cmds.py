"""`notify list`, `notify deliver`, `notify retry`, `notify test`: the outbox and the targets."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from trainmaster.cli.context import console, ctx, emit_json
from trainmaster.errors import ExternalError, UsageError

notify_app = typer.Typer(
    help="Notifications: the outbox (pending, sent, dead letters) and the targets.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(notify_app, name="notify")


@notify_app.command("list")
def list_cmd(
    typer_ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="Only pending, sent or dead (dead letters).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="Newest N messages.")] = 50,
) -> None:
    """Messages in the outbox, newest first: pending, sent, or dead-lettered."""
    from trainmaster.notify.outbox import DEAD, PENDING, SENT, listing

    if status is not None and status not in (PENDING, SENT, DEAD):
        raise UsageError(f"--status {status!r}: use pending, sent or dead")
    state = ctx(typer_ctx)
    with state.store().transaction() as session:
        messages = listing(session, status, limit)
    if state.json_output:
        emit_json([m.as_dict() for m in messages])
        return
    from rich.table import Table

    table = Table("id", "event", "target", "status", "attempts", "created (UTC)", "last error")
    for m in messages:
        created = m.created_at.strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(
            m.id, m.event_type, m.target, m.status, str(m.attempts), created, m.last_error
        )
    console().print(table)


@notify_app.command("deliver")
def deliver_cmd(
    typer_ctx: typer.Context,
    within: Annotated[
        float, typer.Option(min=0.1, max=3600, help="Start no attempt after this many seconds.")
    ] = 60.0,
) -> None:
    """Deliver every due message now (each attempt once; failures are retried later)."""
    from trainmaster.notify.deliver import Deliverer

    state = ctx(typer_ctx)
    report = Deliverer(state.policy, state.policy_path, state.store()).run(within=within)
    if state.json_output:
        emit_json(report.as_dict())
    else:
        console().print(
            f"sent {len(report.sent)}, retrying later {len(report.retrying)}, "
            f"dead-lettered {len(report.dead)}"
        )
    if report.problems:
        raise report.problems[0]


@notify_app.command("retry")
def retry_cmd(
    typer_ctx: typer.Context,
    message: Annotated[str, typer.Argument(help="The id of a dead letter (notify list).")],
) -> None:
    """Put a dead letter back in the queue (after the target was fixed)."""
    from datetime import UTC, datetime

    from trainmaster.notify.outbox import requeue

    state = ctx(typer_ctx)
    with state.store().transaction() as session:
        if not requeue(session, message, datetime.now(UTC)):
            raise UsageError(f"{message!r} is not a dead letter in the outbox")
    console().print(f"{message} is pending again")


@notify_app.command("prune")
def prune_cmd(
    typer_ctx: typer.Context,
    older_than: Annotated[
        str, typer.Option("--older-than", help="Delivered longer ago than this (e.g. 30d).")
    ] = "30d",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count; remove nothing.")] = False,
) -> None:
    """Remove delivered messages older than --older-than (dead letters and pending stay);
    audited as notify.prune."""
    from datetime import UTC, datetime

    from trainmaster.audit.log import append_event
    from trainmaster.config.durations import parse_duration
    from trainmaster.notify.outbox import remove, sent_before

    try:
        age = parse_duration(older_than)
    except ValueError as e:
        raise UsageError(f"--older-than: {e}") from e
    state = ctx(typer_ctx)
    cutoff = datetime.now(UTC) - age
    with state.store().transaction() as session:
        ids = sent_before(session, cutoff)
        if ids and not dry_run:
            remove(session, ids)
            append_event(session, actor=state.actor, action="notify.prune", target="notify/outbox",
                         reason=f"delivered more than {older_than} ago",
                         payload={"removed": len(ids), "before": cutoff.isoformat()})  # fmt: skip
    verb = "would remove" if dry_run else "removed"
    if state.json_output:
        emit_json({"dry_run": dry_run, "messages": len(ids), "before": cutoff.isoformat()})
    else:
        console().print(f"{verb} {len(ids)} delivered message(s) older than {older_than}")


@notify_app.command("check")
def check_cmd(typer_ctx: typer.Context) -> None:
    """Read and check every target's secret now (CI, before a train): exit 2 naming each bad
    one's file:line; the secrets themselves are never shown."""
    from trainmaster.errors import PolicyError
    from trainmaster.notify.secrets import target_secret

    state = ctx(typer_ctx)
    problems: list[str] = []
    for index, target in enumerate(state.policy.notify.targets):
        try:
            target_secret(target, index, state.policy_path)
        except PolicyError as e:
            problems.append(e.message)
    if problems:
        raise PolicyError(problems[0], details=problems)
    if state.json_output:
        emit_json({"targets": [t.name for t in state.policy.notify.targets], "ok": True})
    else:
        console().print(
            f"{len(state.policy.notify.targets)} notify target(s): secrets present and well-formed"
        )


@notify_app.command("test")
def test_cmd(
    typer_ctx: typer.Context,
    target: Annotated[str, typer.Option("--target", help="The target's name in the policy.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the payloads; send nothing.")
    ] = False,
) -> None:
    """Send a sample of each event the target receives; --dry-run prints the payloads."""
    from trainmaster.notify.probe import probe

    state = ctx(typer_ctx)
    results = probe(state.policy, state.policy_path, target, dry_run=dry_run)
    if state.json_output:
        emit_json(results)
    else:
        out = console()
        for result in results:
            if dry_run:
                out.print(f"# {result['type']} → {target}", markup=False)
                out.print(json.dumps(result["payload"], indent=2), markup=False)
            else:
                mark = "sent" if result["ok"] else f"FAILED: {result['error']}"
                out.print(f"{result['type']} → {target}: {mark}", markup=False)
    failed = [r for r in results if not dry_run and not r["ok"]]
    if failed:
        raise ExternalError(f"{len(failed)} of {len(results)} samples not delivered to {target}")

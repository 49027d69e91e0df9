"""`init`, `validate`, `schema`: write, check and describe the policy file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from trainmaster.cli.context import console, ctx, emit_json
from trainmaster.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("validate")(validate)
    app.command("schema")(schema)


def init(
    typer_ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Repository owner (org or user).")] = "OWNER",
    repo: Annotated[str, typer.Option(help="Repository name.")] = "REPO",
    force: Annotated[bool, typer.Option(help="Overwrite an existing policy file.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print instead of writing.")] = False,
) -> None:
    """Write the seed plan as a commented, valid trainmaster.yaml."""
    from trainmaster.config import parse_policy
    from trainmaster.config.seed import seed_policy_text

    state = ctx(typer_ctx)
    text = seed_policy_text(owner, repo)
    parse_policy(text, str(state.policy_path))  # never write a policy that does not validate
    if dry_run:
        typer.echo(text, nl=False)
        return
    if state.policy_path.exists() and not force:
        raise UsageError(f"{state.policy_path} already exists (use --force to overwrite)")
    state.policy_path.write_text(text, encoding="utf-8")
    if state.json_output:
        emit_json({"written": str(state.policy_path)})
    else:
        console().print(f"wrote {state.policy_path}; check it with `trainmaster validate`")


def validate(
    typer_ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="Policy file (default: --policy).")] = None,
) -> None:
    """Validate a policy file: exit 0, or 2 with file:line:column: field: reason."""
    from trainmaster.config import cache, load_policy

    state = ctx(typer_ctx)
    path = file or state.policy_path
    policy = load_policy(path)
    text = (
        f"valid ({len(policy.repos)} repos, {len(policy.stages)} stages, "
        f"{len(policy.signals)} signals, {len(policy.checks.required)} required checks)"
    )
    summary = {
        "file": str(path),
        "valid": True,
        "repos": len(policy.repos),
        "stages": list(policy.stages),
        "signals": list(policy.signals),
        "required_checks": len(policy.checks.required),
        "text": text,
    }
    cache.remember(path.read_bytes(), summary)
    if state.json_output:
        emit_json(summary)
    else:
        console().print(f"{path}: {text}", markup=False)


def schema() -> None:
    """Print the policy's JSON Schema."""
    from trainmaster.config.schema import policy_schema

    typer.echo(json.dumps(policy_schema(), indent=2, sort_keys=True))

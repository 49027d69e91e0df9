"""`secrets check`: sealed-secret layout and plaintext secrets; exit 1 on findings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trainmaster.cli.context import annotate, console, ctx, emit_json, step_summary

if TYPE_CHECKING:
    from trainmaster.evidence.secrets.scan import ScanResult

secrets_app = typer.Typer(
    help="Secrets: sealed-secret layout and plaintext scanning.", no_args_is_help=True
)


Where = Annotated[Path, typer.Argument(help="Repository or folder to check.")]
Logs = Annotated[
    list[Path] | None,
    typer.Option("--logs", metavar="PATH", help="CI log file, folder or zip (repeatable)."),
]
History = Annotated[bool, typer.Option("--history", help="Also scan all git history.")]
Sarif = Annotated[Path | None, typer.Option(help="Write SARIF 2.1.0 here.")]
Allowlist = Annotated[
    Path | None, typer.Option(help="Allowlist file (default PATH/.secrets-allowlist.yaml).")
]


def register(app: typer.Typer) -> None:
    app.add_typer(secrets_app, name="secrets")


@secrets_app.command("check")
def check(
    typer_ctx: typer.Context,
    path: Where = Path("."),
    logs: Logs = None,
    history: History = False,
    sarif: Sarif = None,
    allowlist: Allowlist = None,
) -> None:
    """Every secret manifest under deploy/<env>/secrets/ is a SealedSecret, each cluster's kubeseal
    certificate is committed, and no plaintext secret is in the tree, history or CI logs."""
    from trainmaster.evidence.secrets import use_cases as secrets

    state = ctx(typer_ctx)
    request = secrets.SecretsCheckInput(path, tuple(logs or ()), history, allowlist, sarif)
    result = secrets.check(request)
    err = console(stderr=True)
    for notice in result.notices:
        err.print(f"notice: {notice.path}: {notice.message}", markup=False)
    if state.json_output:
        emit_json(_as_json(result))
    else:
        _render(result)
    for f in result.findings:
        where = f.path if f.source != "logs" else None
        annotate(
            "error", f"{f.rule}: {f.message} ({f.fingerprint})", file=where, line=f.line or None
        )
    if result.findings:
        step_summary(f"**secrets check**: {len(result.findings)} finding(s)")
    secrets.raise_for_findings(result)


def _as_json(result: ScanResult) -> dict[str, Any]:
    return {
        "findings": [f.__dict__ for f in result.findings],
        "allowed": [{**f.__dict__, "reason": e.reason} for f, e in result.allowed],
        "notices": [n.__dict__ for n in result.notices],
        "files_scanned": result.files_scanned,
    }


def _render(result: ScanResult) -> None:
    """One line per finding, like a compiler: greppable in CI logs, clickable in editors."""
    out = console()
    for f in result.findings:
        out.print(f"{f.location}: {f.rule}: {f.message} [{f.fingerprint}]", markup=False)
    allowed = f", {len(result.allowed)} allowlisted" if result.allowed else ""
    out.print(f"{len(result.findings)} finding(s){allowed} in {result.files_scanned} file(s)")

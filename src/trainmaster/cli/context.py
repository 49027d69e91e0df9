"""What every command shares: global options, the policy, the store, output and errors."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from trainmaster.audit import AuditLog
    from trainmaster.config import Policy
    from trainmaster.store import Store
    from trainmaster.wiring import App


@dataclass
class Context:
    policy_path: Path = Path("trainmaster.yaml")
    json_output: bool = False
    debug: bool = False
    actor_flag: str | None = None
    _policy: Policy | None = field(default=None, repr=False)
    _app: App | None = field(default=None, repr=False)

    @property
    def policy(self) -> Policy:
        if self._policy is None:
            from trainmaster.config import load_policy

            self._policy = load_policy(self.policy_path)
        return self._policy

    @property
    def actor(self) -> str:
        from trainmaster.actor import resolve_actor

        return resolve_actor(self.actor_flag)

    def app(self) -> App:
        """The composition root for this command: the policy's backends, built on first use,
        closed when the command ends."""
        if self._app is None:
            from trainmaster.wiring import App

            base = self.policy_path.resolve().parent
            self._app = App(self.policy, base, repo_path=Path.cwd(), shared_cluster=True)
            from trainmaster.notify.wiring import attach  # notify: the outbox writer (issue 20)

            attach(self.policy, self.policy_path)
        return self._app

    def store(self) -> Store:
        return self.app().store

    def audit(self) -> AuditLog:
        from trainmaster.audit import AuditLog

        return AuditLog(self.store())

    def close(self) -> None:
        if self._app is None:
            return
        if self.policy.notify.targets:  # else no store: a command that read nothing makes none
            from trainmaster.notify.wiring import deliver_after  # notify: outbox (issue 20)

            deliver_after(self.policy, self.policy_path, self._app.opened_store())
        self._app.close()


def ctx(typer_ctx: typer.Context) -> Context:
    obj = typer_ctx.find_root().obj
    assert isinstance(obj, Context)
    return obj


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    from trainmaster.redaction import RedactingWriter

    # hostile-input: every human line passes the one redaction filter
    stream = RedactingWriter(sys.stderr if stderr else sys.stdout)
    return Console(file=stream, stderr=stderr, highlight=False, soft_wrap=True)  # type: ignore[arg-type]


def emit_json(data: Any) -> None:
    """Machine output: JSON on stdout and nothing else there, through the redaction filter (an
    API error body may echo the token that was sent)."""
    from trainmaster.redaction import redact

    text = json.dumps(data, indent=2, sort_keys=False, default=str)
    # A secret is masked inside JSON string values; masking never breaks the JSON (MASK is
    # plain text, and a secret containing a quote or backslash appears escaped, so it is masked
    # in its escaped form too).
    sys.stdout.write(redact(_redact_escaped(text)) + "\n")


def _redact_escaped(text: str) -> str:
    from trainmaster.redaction import MASK, known_secrets

    for secret in known_secrets():
        escaped = json.dumps(secret)[1:-1]
        if escaped != secret:
            text = text.replace(escaped, MASK)
    return text


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def annotate(
    level: str,
    message: str,
    file: str | None = None,
    line: int | None = None,
    col: int | None = None,
) -> None:
    """A GitHub Actions workflow command (error, warning, notice) when running in Actions."""
    if not in_github_actions():
        return
    parts = {"file": file, "line": line, "col": col}
    where = ",".join(f"{k}={v}" for k, v in parts.items() if v)
    from trainmaster.redaction import redact

    clean = redact(message).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    # The runner reads workflow commands from stderr too; stdout stays clean for --json.
    sys.stderr.write(f"::{level} {where}::{clean}\n" if where else f"::{level}::{clean}\n")


def step_summary(markdown: str) -> None:
    """Append to the job's step summary when running in GitHub Actions."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if in_github_actions() and path:
        from trainmaster.redaction import redact

        with open(path, "a", encoding="utf-8") as handle:
            handle.write(redact(markdown.rstrip()) + "\n")

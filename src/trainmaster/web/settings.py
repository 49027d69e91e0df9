"""What the server is configured with, and where each value comes from (flags, environment,
the policy). Secrets come from the environment or a file only its owner reads, never argv."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from trainmaster.config.model import Policy
from trainmaster.errors import UsageError

if TYPE_CHECKING:
    from trainmaster.gates.port import Metrics
    from trainmaster.ports import Backends
    from trainmaster.rollout.preview import PreviewEnv
    from trainmaster.store import Store

SESSION_HOURS = 8  # a working day: a stolen cookie is worth nothing by tomorrow
SECRET_ENV = "TRAINMASTER_SESSION_SECRET"
CLIENT_ID_ENV = "TRAINMASTER_OAUTH_CLIENT_ID"
CLIENT_SECRET_ENV = "TRAINMASTER_OAUTH_CLIENT_SECRET"


@dataclass(frozen=True)
class OAuthApp:
    """The GitHub OAuth app people sign in with. `web_url` serves /login/oauth/*, `api_url`
    the REST API (GET /user)."""

    client_id: str
    client_secret: str
    web_url: str
    api_url: str


def web_url_for(api_url: str) -> str:
    """Where the OAuth pages live for an API base: github.com for api.github.com, the host
    root for GitHub Enterprise Server's `/api/v3` (GitHub docs, "Authorizing OAuth apps")."""
    base = api_url.rstrip("/")
    if base == "https://api.github.com":
        return "https://github.com"
    return base.removesuffix("/api/v3")


def oauth_from_env(policy: Policy) -> OAuthApp | None:
    client_id = os.environ.get(CLIENT_ID_ENV, "")
    client_secret = os.environ.get(CLIENT_SECRET_ENV, "")
    if not client_id or not client_secret:
        return None
    api = policy.github.api_url
    return OAuthApp(client_id, client_secret, web_url_for(api), api)


def session_secret(state_dir: Path) -> bytes:
    """$TRAINMASTER_SESSION_SECRET, else a random key kept in `state_dir/session.key` (0600),
    so sessions survive a restart without anyone choosing a secret."""
    if value := os.environ.get(SECRET_ENV):
        if len(value) < 32:
            raise UsageError(f"{SECRET_ENV}: at least 32 characters, got {len(value)}")
        return value.encode()
    path = state_dir / "session.key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        state_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key


def system_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Site:
    """Everything a request may need: the backends (the composition root the CLI uses too),
    sign-in, and the optional metrics and preview sources."""

    backends: Backends
    secret: bytes
    oauth: OAuthApp | None = None
    session_hours: float = SESSION_HOURS
    metrics: Callable[[], Metrics] | None = None
    previews: Callable[[], list[PreviewEnv]] | None = None
    now: Callable[[], datetime] = system_now
    public_url: str = ""
    cache: dict[str, object] = field(default_factory=dict)  # per-process, built on first use

    @property
    def policy(self) -> Policy:
        return self.backends.policy

    @property
    def base_dir(self) -> Path:
        return self.backends.base_dir

    @property
    def repo_path(self) -> Path:
        return self.backends.repo_path

    @property
    def store(self) -> Store:
        return self.backends.store

    @property
    def evidence_dir(self) -> Path:
        configured = Path(self.policy.evidence.dir)
        return configured if configured.is_absolute() else self.base_dir / configured

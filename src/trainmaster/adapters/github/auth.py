"""Credentials: a token from the environment, or a GitHub App's installation tokens.

A GitHub App signs a short JWT (RS256, iss = app id) and trades it for an installation token that
lives one hour; tokens are refreshed five minutes before they expire. Every secret is registered
with the redaction filter as soon as it is known.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from trainmaster.errors import PolicyError
from trainmaster.redaction import register_secret

REFRESH_MARGIN = 300.0  # seconds before expiry when an installation token is replaced
JWT_LIFETIME = 540  # GitHub accepts at most 10 minutes; stay under it with clock skew
JWT_BACKDATE = 60  # "iat" 60 s in the past tolerates a fast local clock

# (method, path, headers) -> parsed JSON body: how credentials reach the /app endpoints (JWT)
Fetch = Callable[[str, str, dict[str, str]], Any]


class Credentials(Protocol):
    def authorization(self, owner: str | None, fetch: Fetch) -> str:
        """The Authorization header value for a request about `owner`'s resources."""
        ...


@dataclass
class TokenCredentials:
    token: str

    def __post_init__(self) -> None:
        register_secret(self.token)

    def authorization(self, owner: str | None, fetch: Fetch) -> str:
        return f"Bearer {self.token}"


def token_from_env(name: str) -> TokenCredentials | None:
    value = os.environ.get(name, "").strip()
    return TokenCredentials(value) if value else None


class AppCredentials:
    """A GitHub App: JWT → installation (looked up per owner unless fixed) → access token."""

    def __init__(
        self,
        app_id: int,
        private_key: str,
        installation_id: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        register_secret(private_key)
        self.app_id = app_id
        self._key = private_key
        self._fixed = installation_id
        self._clock = clock
        self._installations: dict[str, int] = {}
        self._tokens: dict[int, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def jwt(self) -> str:
        import jwt

        now = int(self._clock())
        claims = {"iat": now - JWT_BACKDATE, "exp": now + JWT_LIFETIME, "iss": str(self.app_id)}
        token: str = jwt.encode(claims, self._key, algorithm="RS256")
        register_secret(token)
        return token

    def authorization(self, owner: str | None, fetch: Fetch) -> str:
        with self._lock:
            installation = self._installation(owner, fetch)
            cached = self._tokens.get(installation)
            if cached is None or cached[1] - self._clock() < REFRESH_MARGIN:
                cached = self._new_token(installation, fetch)
                self._tokens[installation] = cached
            return f"Bearer {cached[0]}"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.jwt()}"}

    def _installation(self, owner: str | None, fetch: Fetch) -> int:
        if self._fixed is not None:
            return self._fixed
        if owner is None:
            raise PolicyError("github.auth.installation_id: needed for requests outside an owner")
        if owner not in self._installations:
            body = _org_or_user_installation(owner, fetch, self._headers())
            self._installations[owner] = int(body["id"])
        return self._installations[owner]

    def _new_token(self, installation: int, fetch: Fetch) -> tuple[str, float]:
        path = f"/app/installations/{installation}/access_tokens"
        body = fetch("POST", path, self._headers())
        token = str(body["token"])
        register_secret(token)
        expires = datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00"))
        return token, expires.timestamp()


def _org_or_user_installation(owner: str, fetch: Fetch, headers: dict[str, str]) -> Any:
    from trainmaster.adapters.github.errors import NotFound

    try:
        return fetch("GET", f"/orgs/{owner}/installation", headers)
    except NotFound:
        return fetch("GET", f"/users/{owner}/installation", headers)


def app_from_policy(app_id: int, key_path: str, installation_id: int | None) -> AppCredentials:
    path = Path(key_path).expanduser()
    try:
        key = path.read_text(encoding="utf-8")
    except OSError as e:
        raise PolicyError(f"github.auth.private_key_path: cannot read {path}: {e.strerror}") from e
    return AppCredentials(app_id, key, installation_id)

"""The GitHub adapter: the REST client, the Forge port, and the governance port.

`forge_for(policy)` and `client_for(policy)` are what other features call.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from trainmaster.errors import PolicyError

if TYPE_CHECKING:
    import httpx

    from trainmaster.adapters.github.client import GitHubClient
    from trainmaster.adapters.github.etags import EtagCache
    from trainmaster.config.model import Policy
    from trainmaster.forge import Forge

WRITE_INTERVAL_ENV = "TRAINMASTER_GITHUB_WRITE_INTERVAL"


def client_for(
    policy: Policy,
    *,
    api_url: str | None = None,
    transport: httpx.BaseTransport | None = None,
    etags: EtagCache | None = None,
    require_auth: bool = True,
    **settings: Any,
) -> GitHubClient:
    """A client for the policy's GitHub (or `api_url`), with its token or App credentials."""
    from trainmaster.adapters.github.auth import app_from_policy, token_from_env
    from trainmaster.adapters.github.client import GitHubClient, Settings
    from trainmaster.config.model import AppAuth

    auth = policy.github.auth
    credentials: Any
    if isinstance(auth, AppAuth):
        credentials = app_from_policy(auth.app_id, auth.private_key_path, auth.installation_id)
    else:
        credentials = token_from_env(auth.token_env)
        if credentials is None and require_auth:
            raise PolicyError(
                f"github.auth.token_env: the environment variable {auth.token_env} is not set"
            )
    url = (api_url or policy.github.api_url).rstrip("/")
    chosen = Settings(write_interval=_write_interval(url), **settings)
    return GitHubClient(url, credentials, transport=transport, etags=etags, settings=chosen)


def forge_for(policy: Policy, **kwargs: Any) -> Forge | None:
    """The Forge for the policy, or None when `backends.forge` is "none"."""
    if policy.backends.forge == "none":
        return None
    from trainmaster.adapters.github.forge import GitHubForge

    return GitHubForge(client_for(policy, **kwargs))


def _write_interval(api_url: str) -> float:
    """GitHub.com asks for a second between writes; other servers (GHES, emulators) decide."""
    if value := os.environ.get(WRITE_INTERVAL_ENV):
        try:
            return max(0.0, float(value))
        except ValueError as e:
            raise PolicyError(f"{WRITE_INTERVAL_ENV}: not a number of seconds: {value!r}") from e
    return 1.0 if urlsplit(api_url).hostname == "api.github.com" else 0.0

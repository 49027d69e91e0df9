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

# GitHub.com asks for a second between writes and scores 900 points a minute per endpoint;
# GitHub Enterprise Server disables rate limits by default. Both are overridable.
WRITE_INTERVAL_ENV = "TRAINMASTER_GITHUB_WRITE_INTERVAL"
POINTS_ENV = "TRAINMASTER_GITHUB_POINTS_PER_MINUTE"


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
    github_com = urlsplit(url).hostname == "api.github.com"
    defaults: dict[str, Any] = {
        "write_interval": _number(WRITE_INTERVAL_ENV, 1.0 if github_com else 0.0),
        "points_per_minute": int(_number(POINTS_ENV, 900 if github_com else 0)) or None,
    }
    chosen = Settings(**{**defaults, **settings})
    return GitHubClient(url, credentials, transport=transport, etags=etags, settings=chosen)


def forge_for(policy: Policy, **kwargs: Any) -> Forge | None:
    """The Forge for the policy, or None when `backends.forge` is "none"."""
    if policy.backends.forge == "none":
        return None
    from trainmaster.adapters.github.forge import GitHubForge

    return GitHubForge(client_for(policy, **kwargs))


def _number(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError as e:
        raise PolicyError(f"{name}: not a number: {value!r}") from e

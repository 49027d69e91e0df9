"""GitHub sign-in: the OAuth authorization-code flow (GitHub docs, "Authorizing OAuth apps"):
redirect to /login/oauth/authorize with a `state`, exchange the returned code at
/login/oauth/access_token, then ask GET /user who it is. The access token is used for that one
call and then forgotten: the server acts on nobody's behalf at GitHub."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from trainmaster.errors import ExternalError, Refused
from trainmaster.web.settings import OAuthApp

if TYPE_CHECKING:  # httpx is imported at the first sign-in, not at start-up
    import httpx

TIMEOUT = 10.0
SCOPE = "read:user"  # the login and name; nothing else is needed


@dataclass(frozen=True)
class GitHubUser:
    login: str
    name: str
    email: str


def authorize_url(app: OAuthApp, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {"client_id": app.client_id, "redirect_uri": redirect_uri, "scope": SCOPE, "state": state}
    )
    return f"{app.web_url}/login/oauth/authorize?{query}"


def user_for_code(
    app: OAuthApp, code: str, redirect_uri: str, transport: httpx.BaseTransport | None = None
) -> GitHubUser:
    """Exchange the code and read the user. A code GitHub refuses is `Refused`; GitHub being
    unreachable is a temporary `ExternalError`."""
    import httpx

    if not code or len(code) > 256:
        raise Refused("sign-in: GitHub sent no usable code")
    try:
        with httpx.Client(timeout=TIMEOUT, transport=transport) as client:
            token = _exchange(client, app, code, redirect_uri)
            return _user(client, app, token)
    except httpx.HTTPError as e:
        raise ExternalError(
            f"sign-in: GitHub is unreachable ({type(e).__name__})", temporary=True
        ) from e


def _exchange(client: httpx.Client, app: OAuthApp, code: str, redirect_uri: str) -> str:
    response = client.post(
        f"{app.web_url}/login/oauth/access_token",
        data={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        },
        headers={"Accept": "application/json"},
    )
    body = _json(response)
    token = body.get("access_token")
    if response.status_code != 200 or not isinstance(token, str) or not token:
        # GitHub answers 200 with {"error": "bad_verification_code", ...} for a bad code.
        raise Refused(f"sign-in refused by GitHub: {body.get('error') or response.status_code}")
    return token


def _user(client: httpx.Client, app: OAuthApp, token: str) -> GitHubUser:
    response = client.get(
        f"{app.api_url.rstrip('/')}/user",
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )
    if response.status_code != 200:
        raise Refused(f"sign-in: GitHub would not say who you are ({response.status_code})")
    body = _json(response)
    login = body.get("login")
    if not isinstance(login, str) or not login:
        raise ExternalError("sign-in: GitHub's /user answer has no login")
    name, email = body.get("name"), body.get("email")
    return GitHubUser(
        login, name if isinstance(name, str) else "", email if isinstance(email, str) else ""
    )


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}

"""GitHub's OAuth app web flow, as the emulator serves it (GitHub docs, "Authorizing OAuth
apps", web application flow), outside /api/v3 like on GitHub Enterprise Server:

- GET /login/oauth/authorize: the person already signed in at GitHub (`OAuth.signed_in`)
  grants at once, and GitHub redirects to `redirect_uri?code=…&state=…`. The redirect_uri must
  be the registered callback or below it (same host and port), as GitHub requires.
- POST /login/oauth/access_token: exchanges a code once, within 10 minutes, for a user token;
  a bad code is still 200, with `error=bad_verification_code` (as GitHub answers).
- The user token then authenticates `GET /api/v3/user` (routes: `user`).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

CODE_LIFETIME = 600  # seconds, as on GitHub


@dataclass
class OAuthApp:
    client_id: str
    client_secret: str
    callback: str  # the registered authorization callback URL


@dataclass
class OAuth:
    apps: dict[str, OAuthApp] = field(default_factory=dict)
    signed_in: str | None = None  # the login of whoever is signed in at GitHub right now
    codes: dict[str, tuple[str, str, str, float]] = field(default_factory=dict)
    issued: dict[str, str] = field(default_factory=dict)  # user token -> login
    exchanges: int = 0

    def register(self, callback: str) -> OAuthApp:
        app = OAuthApp("Iv1." + secrets.token_hex(8), secrets.token_hex(20), callback)
        self.apps[app.client_id] = app
        return app

    def handle(self, request: httpx.Request, tokens: set[str]) -> httpx.Response:
        path = request.url.path
        if path == "/login/oauth/authorize" and request.method == "GET":
            return self._authorize(request)
        if path == "/login/oauth/access_token" and request.method == "POST":
            return self._access_token(request, tokens)
        return httpx.Response(404, text="Not Found")

    def _authorize(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        app = self.apps.get(params.get("client_id", ""))
        if app is None:
            return httpx.Response(404, text="unknown client_id")
        redirect = params.get("redirect_uri") or app.callback
        if not _below(redirect, app.callback):
            return httpx.Response(400, text="redirect_uri_mismatch")
        if self.signed_in is None:
            return httpx.Response(200, text="<html><body>Sign in to GitHub</body></html>")
        code = secrets.token_hex(10)
        self.codes[code] = (app.client_id, self.signed_in, redirect, time.monotonic())
        query = urlencode({"code": code, "state": params.get("state", "")})
        return httpx.Response(302, headers={"location": f"{redirect}?{query}"})

    def _access_token(self, request: httpx.Request, tokens: set[str]) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if "json" in request.headers.get("content-type", ""):
            form = json.loads(request.content or b"{}")
        app = self.apps.get(form.get("client_id", ""))
        if app is None or not secrets.compare_digest(
            app.client_secret, form.get("client_secret", "")
        ):
            return _answer(request, {"error": "incorrect_client_credentials"})
        grant = self.codes.pop(form.get("code", ""), None)
        fresh = grant is not None and time.monotonic() - grant[3] < CODE_LIFETIME
        if grant is None or not fresh or grant[0] != app.client_id:
            return _answer(request, {"error": "bad_verification_code"})
        if form.get("redirect_uri") and form["redirect_uri"] != grant[2]:
            return _answer(request, {"error": "redirect_uri_mismatch"})
        token = "gho_" + secrets.token_hex(18)
        self.issued[token] = grant[1]
        tokens.add(token)
        self.exchanges += 1
        return _answer(
            request, {"access_token": token, "token_type": "bearer", "scope": "read:user"}
        )


def _below(redirect: str, callback: str) -> bool:
    """GitHub: same host and port as the callback, path equal to it or a subdirectory."""
    got, registered = urlsplit(redirect), urlsplit(callback)
    if (got.scheme, got.netloc) != (registered.scheme, registered.netloc):
        return False
    return got.path == registered.path or got.path.startswith(registered.path.rstrip("/") + "/")


def _answer(request: httpx.Request, body: dict[str, str]) -> httpx.Response:
    # GitHub answers form-encoded unless asked for JSON with the Accept header.
    if "application/json" in request.headers.get("accept", ""):
        return httpx.Response(200, json=body)
    return httpx.Response(
        200,
        content=urlencode(body).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )

"""GitHub sign-in through the emulated OAuth app flow on 127.0.0.1: state checked, code used
once, the person mapped to the policy's roles, and the session cookie's flags."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.emulators.github.core import GitHubEmulator
from trainmaster.audit.log import AuditLog
from trainmaster.web.app import create_app
from trainmaster.web.settings import OAuthApp, Site, web_url_for

CALLBACK = "https://testserver/oauth/callback"


@pytest.fixture
def github_client(site: Site, github_emulator: GitHubEmulator) -> Iterator[TestClient]:
    app = github_emulator.oauth.register(CALLBACK)
    site.oauth = OAuthApp(
        app.client_id, app.client_secret, github_emulator.state.base, github_emulator.url
    )
    with TestClient(create_app(site), base_url="https://testserver") as client:
        yield client


def _at_github(client: TestClient) -> httpx.Response:
    """Click "Sign in with GitHub" and let GitHub (the emulator) answer the redirect."""
    start = client.get("/signin/github", follow_redirects=False)
    assert start.status_code == 303
    return httpx.get(start.headers["location"], follow_redirects=False)


def _callback(client: TestClient, location: str) -> httpx.Response:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def test_sign_in_maps_the_person_to_roles(
    github_client: TestClient, github_emulator: GitHubEmulator, site: Site
) -> None:
    github_emulator.oauth.signed_in = "alice"
    granted = _at_github(github_client)
    assert granted.status_code == 302
    done = _callback(github_client, granted.headers["location"])
    assert (done.status_code, done.headers["location"]) == (303, "/")
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith("tm_session="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= flags
    me = github_client.get("/api/v1/me").json()
    assert me == {"login": "alice", "roles": ["release-captain"], "via": "session"}
    assert github_client.get("/").status_code == 200
    assert github_emulator.oauth.exchanges == 1
    assert any(
        e.action == "web.signin" and e.actor == "alice" for e in AuditLog(site.store).events()
    )
    assert not github_emulator.violations  # GET /user answered as GitHub's description says


def test_a_code_works_once_and_the_state_must_match(
    github_client: TestClient, github_emulator: GitHubEmulator
) -> None:
    github_emulator.oauth.signed_in = "bob"
    location = _at_github(github_client).headers["location"]
    query = parse_qs(urlsplit(location).query)
    forged = github_client.get(
        f"/oauth/callback?code={query['code'][0]}&state=forged", follow_redirects=False
    )
    assert forged.status_code == 403 and "state does not match" in forged.text
    assert _callback(github_client, location).status_code == 303
    github_client.cookies.clear()
    fresh = _at_github(github_client)  # a new state cookie, but the old code again
    reused = github_client.get(
        f"/oauth/callback?code={query['code'][0]}&state={parse_qs(urlsplit(fresh.headers['location']).query)['state'][0]}",
        follow_redirects=False,
    )
    assert reused.status_code == 403 and "bad_verification_code" in reused.text
    assert github_client.get("/", follow_redirects=False).status_code == 303


def test_someone_outside_every_role_may_not_sign_in(
    github_client: TestClient, github_emulator: GitHubEmulator
) -> None:
    github_emulator.oauth.signed_in = "mallory"
    done = _callback(github_client, _at_github(github_client).headers["location"])
    assert done.status_code == 403 and "holds no role" in done.text
    assert "tm_session=" not in done.headers.get("set-cookie", "")


def test_oauth_pages_live_beside_the_api() -> None:
    assert web_url_for("https://api.github.com") == "https://github.com"
    assert web_url_for("https://ghe.example.com/api/v3/") == "https://ghe.example.com"

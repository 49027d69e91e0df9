"""The REST client: ETags (in the store), retries, rate limits, App auth, no token in errors."""

from __future__ import annotations

import httpx
import pytest

from tests.emulators.github.fixtures import TOKEN, GitHubEmulator
from trainmaster.adapters.github.auth import AppCredentials, TokenCredentials
from trainmaster.adapters.github.client import GitHubClient, Settings, uploads_base
from trainmaster.adapters.github.errors import GitHubError, NotFound
from trainmaster.adapters.github.etags import StoreEtagCache
from trainmaster.store import Store


@pytest.fixture
def emulator() -> GitHubEmulator:
    emulator = GitHubEmulator(validate=True, url="http://127.0.0.1:9")
    emulator.state.add_repo("acme/api")
    emulator.state.add_team("acme", "sre")
    return emulator


def client(emulator: GitHubEmulator, waits: list[float], **kw) -> GitHubClient:  # type: ignore[no-untyped-def]
    return GitHubClient(
        emulator.url,
        TokenCredentials(TOKEN),
        transport=emulator.transport(),
        settings=Settings(write_interval=0, backoff_base=0.01),
        sleep=waits.append,
        **kw,
    )


def test_etag_turns_an_unchanged_read_into_a_304_and_survives_in_the_store(
    emulator: GitHubEmulator, store: Store
) -> None:
    first = client(emulator, [], etags=StoreEtagCache(store))
    body = first.get("/orgs/acme/teams/sre")
    first.close()  # flushes the cache to the store
    second = client(emulator, [], etags=StoreEtagCache(store))
    assert second.get("/orgs/acme/teams/sre") == body
    assert second.stats.not_modified == 1
    assert [r.status for r in emulator.requests] == [200, 304]
    assert emulator.rate_used == 1  # the 304 did not count against the limit
    emulator.state.teams[("acme", "sre")]["name"] = "site reliability"
    assert second.get("/orgs/acme/teams/sre")["name"] == "site reliability"


def test_5xx_on_a_read_is_retried_with_jitter_but_not_on_a_post(emulator: GitHubEmulator) -> None:
    waits: list[float] = []
    api = client(emulator, waits)
    emulator.fail("status", method="GET", status=502, times=2)
    assert api.get("/orgs/acme/teams/sre")["slug"] == "sre"
    assert len(waits) == 2 and 0.005 <= waits[0] <= 0.01 and 0.01 <= waits[1] <= 0.02
    emulator.fail("status", method="POST", status=502)
    with pytest.raises(GitHubError) as failed:
        api.write("POST", "/repos/acme/api/rulesets", {"name": "x", "enforcement": "active"})
    assert failed.value.temporary and failed.value.status == 502
    assert emulator.state.rulesets.get("acme/api", {}) == {}


def test_retry_after_and_rate_limit_reset_are_honoured(emulator: GitHubEmulator) -> None:
    waits: list[float] = []
    api = client(emulator, waits)
    emulator.fail("status", status=429, retry_after=7)
    emulator.fail("secondary", retry_after=3)
    emulator.fail("rate-limit")  # x-ratelimit-remaining: 0, reset in 1 s
    api.get("/orgs/acme/teams/sre")
    assert waits[0] == 7 and waits[1] == 3 and 0 < waits[2] <= 2.5
    assert api.stats.secondary_limits == 1


def test_secondary_limit_without_retry_after_waits_at_least_a_minute(
    emulator: GitHubEmulator,
) -> None:
    waits: list[float] = []
    api = client(emulator, waits)
    fault = emulator.fail("secondary")
    fault.retry_after = None
    emulator.faults[-1] = fault

    def no_header(request: httpx.Request) -> httpx.Response:
        response = emulator.handle(request)
        response.headers.pop("retry-after", None)
        return response

    api._http._transport = httpx.MockTransport(no_header)
    api.get("/orgs/acme/teams/sre")
    assert waits == [60.0]


def test_dropped_connection_retried_for_reads_only(emulator: GitHubEmulator) -> None:
    api = client(emulator, [])
    emulator.fail("drop", method="GET")
    assert api.get("/orgs/acme/teams/sre")["slug"] == "sre"
    emulator.fail("drop", method="POST")
    with pytest.raises(GitHubError, match="no response from GitHub"):
        api.write("POST", "/repos/acme/api/rulesets", {"name": "x", "enforcement": "active"})


def test_errors_name_the_call_and_never_carry_the_token(emulator: GitHubEmulator) -> None:
    api = client(emulator, [])
    with pytest.raises(NotFound) as missing:
        api.get("/orgs/acme/teams/nobody")
    assert str(missing.value).startswith("GET /orgs/acme/teams/nobody: not found")
    bad = GitHubClient(
        emulator.url, TokenCredentials("ghp_wrongTokenValue123456"), transport=emulator.transport()
    )
    with pytest.raises(GitHubError) as denied:
        bad.get("/orgs/acme/teams/sre")
    assert "bad credentials" in str(denied.value)
    assert "ghp_wrong" not in str(denied.value) and TOKEN not in str(missing.value)


def test_uploads_host_for_github_com_ghes_and_others() -> None:
    assert uploads_base("https://api.github.com") == "https://uploads.github.com"
    assert uploads_base("https://ghe.example.com/api/v3") == "https://ghe.example.com/api/uploads"
    assert uploads_base("http://127.0.0.1:8080") == "http://127.0.0.1:8080"


def test_github_app_installation_token_is_fetched_and_refreshed(emulator: GitHubEmulator) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    emulator.enable_app(4242, public)
    credentials = AppCredentials(4242, pem)
    api = GitHubClient(emulator.url, credentials, transport=emulator.transport())
    api.get("/orgs/acme/teams/sre")
    api.get("/repos/acme/api")
    app = emulator.state.app_auth
    assert app is not None and len(app.issued) == 1  # looked up once, reused
    app.token_lifetime = 200  # the next token is within five minutes of expiry when issued
    api.get("/orgs/acme/teams/sre")  # still the first token
    api.credentials._tokens.clear()  # type: ignore[union-attr]
    api.get("/orgs/acme/teams/sre")  # token 2 (expires soon)
    api.get("/orgs/acme/teams/sre")  # refreshed before use: token 3
    assert len(app.issued) == 3
    assert emulator.requests
    assert all(r.status < 400 for r in emulator.requests)

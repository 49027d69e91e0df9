"""The JSON API: personal tokens (CLI-issued, hashed, revocable), problem details, CSRF for
cookie-authenticated changes, and the OpenAPI description."""

from __future__ import annotations

import hashlib
import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import Project, sign_in, to_prod_approval
from trainmaster.web.settings import Site
from trainmaster.web.tokens import TokenRow

TRAIN = "v1.1.0"


def _token(cli, login: str, *extra: str) -> dict:  # type: ignore[no-untyped-def]
    result = cli("--actor", login, "token", "create", "ci-bot", "--json", *extra)
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def test_tokens_are_stored_hashed_and_revocable(
    client: TestClient,
    site: Site,
    cli,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    issued = _token(cli, "alice")
    secret = issued["token"]
    assert secret.startswith("tmk_") and len(secret) > 40
    with site.store.transaction() as session:
        row = session.execute(select(TokenRow)).scalar_one()
        assert row.hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (row.prefix, row.hash, row.name)
    auth = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/me", headers=auth).json()
    assert me == {"login": "alice", "roles": ["release-captain"], "via": "token"}
    listed = json.loads(cli("--actor", "alice", "token", "list", "--json").out)
    assert [t["name"] for t in listed] == ["ci-bot"] and "token" not in listed[0]
    assert listed[0]["last_used_at"] is not None
    assert json.loads(cli("--actor", "bob", "token", "list", "--json").out) == []
    assert cli("--actor", "bob", "token", "revoke", str(issued["id"])).code == 2  # not bob's
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    assert cli("--actor", "alice", "token", "revoke", str(issued["id"])).code == 0
    gone = client.get("/api/v1/me", headers=auth)
    assert gone.status_code == 401 and gone.headers["content-type"] == "application/problem+json"
    wrong = client.get("/api/v1/me", headers={"Authorization": "Bearer tmk_nope"})
    assert wrong.status_code == 401
    assert cli("--actor", "alice", "token", "create", "x", "--expires-days", "0").code == 2


def test_a_token_stops_working_when_it_expires(site: Site) -> None:
    from datetime import timedelta

    from tests.web.conftest import NOW
    from trainmaster.web.tokens import create_token, owner_of

    secret, info = create_token(site.store, "alice", "nightly", NOW, days=1)
    assert info.expires_at is not None
    assert owner_of(site.store, secret, NOW + timedelta(hours=23)) == "alice"
    assert owner_of(site.store, secret, NOW + timedelta(days=1)) is None
    assert owner_of(site.store, secret + "x", NOW) is None


def test_actions_through_the_api_with_problem_details(
    client: TestClient,
    site: Site,
    cli,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    to_prod_approval(cli)
    auth = {"Authorization": f"Bearer {_token(cli, 'alice')['token']}"}
    done = client.post(
        f"/api/v1/trains/{TRAIN}/approve",
        json={"stage": "prod", "reason": "dashboards look fine"},
        headers=auth,
    )
    assert done.status_code == 200 and done.json()["stages"]["prod"] == "awaiting_approval"
    early = client.post(
        f"/api/v1/trains/{TRAIN}/promote",
        json={"stage": "prod", "reason": "ship it right away"},
        headers=auth,
    )
    problem = early.json()
    assert early.status_code == 403 and problem["title"] == "refused"
    messages = [r["message"] for r in problem["reasons"]]
    assert any("0 of 2" in m for m in messages), problem  # her own approval: she promotes
    unknown = client.get("/api/v1/trains/v9.9.9", headers=auth)
    assert unknown.status_code == 400 and "no train 'v9.9.9'" in unknown.json()["detail"]
    missing = client.post(f"/api/v1/trains/{TRAIN}/approve", json={"stage": "prod"}, headers=auth)
    assert missing.status_code == 422 and "reason" in missing.json()["detail"]
    huge = client.post(
        f"/api/v1/trains/{TRAIN}/approve",
        json={"stage": "prod", "reason": "x" * 5000},
        headers=auth,
    )
    assert huge.status_code == 422
    flood = client.post(
        f"/api/v1/trains/{TRAIN}/approve",
        content=b'{"stage": "prod", "reason": "' + b"x" * 20_000 + b'"}',
        headers={**auth, "content-type": "application/json"},
    )
    assert flood.status_code == 413 and flood.json()["title"] == "too large"


def test_a_cookie_needs_the_csrf_header_to_change_anything(
    client: TestClient,
    site: Site,
    cli,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    to_prod_approval(cli)
    csrf = sign_in(client, site, "alice")
    body = {"stage": "prod", "reason": "dashboards look fine"}
    assert client.post(f"/api/v1/trains/{TRAIN}/approve", json=body).status_code == 403
    forged = client.post(
        f"/api/v1/trains/{TRAIN}/approve", json=body, headers={"X-CSRF-Token": "forged"}
    )
    assert forged.status_code == 403
    assert client.get(f"/api/v1/trains/{TRAIN}").json()["stages"][1]["approvals"] == []
    ok = client.post(f"/api/v1/trains/{TRAIN}/approve", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200


def test_openapi_describes_the_api(client: TestClient, site: Site) -> None:
    assert client.get("/api/openapi.json").status_code == 401
    sign_in(client, site, "alice")
    document = client.get("/api/openapi.json").json()
    paths = set(document["paths"])
    assert {
        "/api/v1/board",
        "/api/v1/trains/{train}",
        "/api/v1/trains/{train}/approve",
        "/api/v1/trains/{train}/promote",
        "/api/v1/trains/{train}/rollback",
        "/api/v1/trains/{train}/abort",
        "/api/v1/audit",
        "/api/v1/stages/{stage}/signals",
        "/api/v1/previews",
    } <= paths
    assert not any(p.startswith("/trains") or p == "/signin" for p in paths)  # pages stay out
    approve = document["paths"]["/api/v1/trains/{train}/approve"]["post"]
    assert "application/problem+json" in approve["responses"]["403"]["content"]

"""The pages through HTTP: who may read what, what each page shows, and the action forms
(CSRF, reasons, refusals with every rule, escaping)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.web.conftest import Project, sign_in, to_prod_approval
from trainmaster.audit.log import AuditLog
from trainmaster.web.settings import Site

TRAIN = "v1.1.0"


def test_unauthenticated_reads_only_signin_and_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/signin").status_code == 200
    for path in ("/", f"/trains/{TRAIN}", "/dashboard", "/audit", "/previews", "/live"):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/signin"), path
    for path in ("/api/v1/board", "/api/v1/trains/v1.1.0", "/api/v1/audit", "/api/openapi.json"):
        api = client.get(path)
        assert api.status_code == 401, path
        assert api.headers["content-type"] == "application/problem+json"
        assert api.json()["status"] == 401


def test_forged_or_expired_session_goes_to_signin(client: TestClient, site: Site) -> None:
    from trainmaster.web.people import Person
    from trainmaster.web.session import COOKIE, Sessions

    client.cookies.set(COOKIE, "forged.cookie.value")
    assert client.get("/", follow_redirects=False).status_code == 303
    other_key = Sessions(b"k" * 32, 3600).issue(Person("alice"))[0]
    client.cookies.set(COOKIE, other_key)
    assert client.get("/", follow_redirects=False).status_code == 303
    sign_in(client, site, "alice")
    assert client.get("/", follow_redirects=False).status_code == 200
    signed_at = site.now()
    site.now = lambda: signed_at + timedelta(hours=8, seconds=1)  # a working day later
    response = client.get("/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/signin")


def test_board_and_train_page(client: TestClient, site: Site, cli, project: Project) -> None:  # type: ignore[no-untyped-def]
    to_prod_approval(cli)
    sign_in(client, site, "alice")
    board = client.get("/").text
    assert f'href="/trains/{TRAIN}"' in board
    assert "Year-end change freeze" in board  # the freeze
    assert "Next cuts" in board
    page = client.get(f"/trains/{TRAIN}").text
    assert "sha256:" + "a" * 64 in page  # the digest
    assert "stage gates green" in page and "bob" in page  # timeline: actor and reason
    assert "p95{job=x}" in page and "1.5" in page  # gate value, threshold, selector
    assert "Approvals 0 of 2" in page  # prod's quorum, nothing counted yet
    response = client.get(f"/trains/{TRAIN}")
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_script_in_a_commit_subject_and_a_reason_is_escaped(
    client: TestClient,
    site: Site,
    cli,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    to_prod_approval(cli)
    csrf = sign_in(client, site, "alice")
    reason = "<script>alert('reason')</script> checked"
    client.post(f"/trains/{TRAIN}/approve", data={"csrf": csrf, "stage": "prod", "reason": reason})
    for path in (f"/trains/{TRAIN}", "/audit", "/"):
        text = client.get(path).text
        assert "<script>alert" not in text, path
    page = client.get(f"/trains/{TRAIN}").text
    assert "&lt;script&gt;alert(&#39;reason&#39;)&lt;/script&gt; checked" in page
    assert "&lt;script&gt;alert(&#39;subject&#39;)" in page  # the commit subject, in the notes
    api = client.get(f"/api/v1/trains/{TRAIN}").json()
    assert any(a["reason"] == reason for s in api["stages"] for a in s["approvals"])


def _events(site: Site) -> list[tuple[str, str]]:
    return [(e.action, e.actor) for e in AuditLog(site.store).events()]


def test_csrf_missing_or_forged_is_403_and_changes_nothing(
    client: TestClient,
    site: Site,
    cli,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    to_prod_approval(cli)
    sign_in(client, site, "alice")
    before = _events(site)
    form = {"stage": "prod", "reason": "dashboards look fine"}
    for token in (None, "forged-token"):
        data = form if token is None else {**form, "csrf": token}
        response = client.post(f"/trains/{TRAIN}/approve", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert "CSRF" in response.text
    assert _events(site) == before
    assert "Approvals 0 of 2" in client.get(f"/trains/{TRAIN}").text


def test_reason_under_the_minimum_shows_the_rule(
    client: TestClient,
    site: Site,
    cli,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    to_prod_approval(cli)
    csrf = sign_in(client, site, "alice")
    response = client.post(
        f"/trains/{TRAIN}/approve", data={"csrf": csrf, "stage": "prod", "reason": "ok"}
    )
    assert response.status_code == 403
    assert "at least 10 characters" in response.text
    assert _events(site)[-1] == ("authz.refused", "alice")  # the refusal is on the record


def test_two_approvals_then_the_author_is_refused_then_promote(
    client: TestClient,
    site: Site,
    cli,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    to_prod_approval(cli)
    for login in ("alice", "carol"):
        csrf = sign_in(client, site, login)
        done = client.post(
            f"/trains/{TRAIN}/approve",
            data={"csrf": csrf, "stage": "prod", "reason": f"{login}: dashboards fine"},
            follow_redirects=False,
        )
        assert (done.status_code, done.headers["location"]) == (
            303,
            f"/trains/{TRAIN}?done=approve",
        )
    csrf = sign_in(client, site, "captain")
    refused = client.post(
        f"/trains/{TRAIN}/approve",
        data={"csrf": csrf, "stage": "prod", "reason": "my own train is fine"},
    )
    assert refused.status_code == 403
    reasons = re.findall(r"<li>([^<]*) <span", refused.text.split('class="reasons"')[1])
    assert reasons == [
        "they cut this train, and its author may not approve it (approval.exclude_author)"
    ]
    csrf = sign_in(client, site, "bob")
    promoted = client.post(
        f"/trains/{TRAIN}/promote",
        data={"csrf": csrf, "stage": "prod", "reason": "two approvals, gates green"},
        follow_redirects=False,
    )
    assert promoted.status_code == 303, promoted.text
    assert client.get(f"/api/v1/trains/{TRAIN}").json()["status"] == "released"
    acts = [(a, who) for a, who in _events(site) if a in ("approve", "promote", "authz.refused")]
    assert acts[-4:] == [
        ("approve", "alice"),
        ("approve", "carol"),
        ("authz.refused", "captain"),
        ("promote", "bob"),
    ]


def test_sign_out_needs_the_csrf_token_and_ends_the_session(client: TestClient, site: Site) -> None:
    csrf = sign_in(client, site, "alice")
    assert client.post("/signout", data={"csrf": "forged"}).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200
    out = client.post("/signout", data={"csrf": csrf}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/signin")
    assert 'tm_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    assert client.get("/", follow_redirects=False).status_code == 303

"""Aborting a post-promotion watch from the board: asked of the policy as `gate.override` on the
watch's stage, audited with the reason, and the running watcher stops acting (its optimistic
lock finds the row changed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import NOW, sign_in
from trainmaster.audit.log import AuditLog
from trainmaster.errors import ConflictError
from trainmaster.gates.watch_state import WatchState, load_or_start, save
from trainmaster.web.settings import Site

KEY = "prod/maestro/maestro@ghcr.io/acme/maestro@sha256:" + "a" * 64


def start_watch(site: Site) -> WatchState:
    fresh = WatchState(
        key=KEY,
        stage="prod",
        target="maestro/maestro",
        image="ghcr.io/acme/maestro@sha256:" + "a" * 64,
        status="running",
        started_at=NOW,
        deadline=NOW + timedelta(minutes=30),
        interval_seconds=30.0,
        evaluations=0,
        last_verdict=None,
        plan="{}",
        row_version=1,
    )
    with site.store.transaction() as session:
        state, resumed = load_or_start(session, fresh, NOW)
    assert not resumed
    return state


def test_a_deployment_engineer_aborts_a_watch(client: TestClient, site: Site) -> None:
    watcher = start_watch(site)
    csrf = sign_in(client, site, "alice")  # release captain: may not override a gate
    assert "Running watches" in client.get("/").text
    refused = client.post(
        "/watches/abort", data={"csrf": csrf, "key": KEY, "reason": "manual verification instead"}
    )
    assert refused.status_code == 403
    assert "not a member of a role that may gate.override" in refused.text
    assert [w["key"] for w in client.get("/api/v1/watches").json()] == [KEY]
    csrf = sign_in(client, site, "dora")
    forged = client.post(
        "/watches/abort", data={"csrf": "x", "key": KEY, "reason": "manual verification instead"}
    )
    assert forged.status_code == 403
    done = client.post(
        "/watches/abort",
        data={"csrf": csrf, "key": KEY, "reason": "manual verification instead"},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/?done=watch")
    assert client.get("/api/v1/watches").json() == []
    last = list(AuditLog(site.store).events())[-1]
    assert (last.action, last.actor, last.reason) == (
        "gate.watch.abort",
        "dora",
        "manual verification instead",
    )
    with site.store.transaction() as session, pytest.raises(ConflictError):
        save(session, watcher, NOW, evaluations=1)  # the watcher's next write: it stops
    again = client.post(
        "/watches/abort", data={"csrf": csrf, "key": KEY, "reason": "manual verification again"}
    )
    assert again.status_code == 400 and "no running watch" in again.text

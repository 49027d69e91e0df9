"""The jobs page and API (issue 19), /readyz and /metrics: what runs on its own, what failed and
why, retry and cancel with a reason (authorized, audited, CSRF-protected), readiness naming
the part that is not ready, and the server's own metrics behind sign-in."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.web.conftest import NOW, sign_in
from trainmaster.audit.log import AuditLog
from trainmaster.jobs.model import JobSpec, JobStatus
from trainmaster.jobs.runner import Runner
from trainmaster.store.jobs import claim, enqueue, finish, get
from trainmaster.web.settings import Site


def seed_jobs(site: Site) -> tuple[int, int]:
    with site.store.transaction() as s:
        enqueue(s, JobSpec("train.cut", "train.cut@next", NOW + timedelta(days=1)), NOW)
        enqueue(s, JobSpec("preview.sweep", "preview.sweep@dead", NOW), NOW)
    with site.store.transaction() as s:
        job = claim(s, "replica-a", NOW, 20)
        assert job is not None and job.key == "preview.sweep@dead"
        finish(s, job.id, "replica-a", NOW, status=JobStatus.DEAD, error="GitHub said 401")
        scheduled = get(s, "train.cut@next")
    assert scheduled is not None
    return job.id, scheduled.id


def test_the_page_shows_dead_jobs_with_their_error_and_what_runs_next(
    client: TestClient, site: Site
) -> None:
    seed_jobs(site)
    sign_in(client, site, "captain")
    page = client.get("/jobs")
    assert page.status_code == 200
    html = page.text
    assert html.index("Dead: a person must look") < html.index("GitHub said 401")
    assert html.index("Scheduled next") < html.index("train.cut@next")
    assert 'aria-current="page">Jobs' in html


def test_retry_with_a_reason_is_audited_and_a_forged_csrf_changes_nothing(
    client: TestClient, site: Site
) -> None:
    dead, _ = seed_jobs(site)
    csrf = sign_in(client, site, "captain")
    forged = client.post(f"/jobs/{dead}/retry", data={"csrf": "x" * 20, "reason": "token fixed"})
    assert forged.status_code == 403
    with site.store.transaction() as s:
        assert get(s, dead).status is JobStatus.DEAD  # type: ignore[union-attr]
    done = client.post(f"/jobs/{dead}/retry", data={"csrf": csrf, "reason": "token rotated today"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and done.headers["location"].startswith("/jobs?done=retry")
    with site.store.transaction() as s:
        assert get(s, dead).status is JobStatus.SCHEDULED  # type: ignore[union-attr]
    events = [(e.actor, e.action, e.reason) for e in AuditLog(site.store).events()]
    assert events == [("captain", "job.retry", "token rotated today")]


def test_the_api_lists_and_cancels_and_a_short_reason_is_refused(
    client: TestClient, site: Site
) -> None:
    _, scheduled = seed_jobs(site)
    csrf = sign_in(client, site, "captain")
    listed = client.get("/api/v1/jobs").json()
    assert [j["key"] for j in listed["next"]] == ["train.cut@next"]
    assert [j["last_error"] for j in listed["dead"]] == ["GitHub said 401"]
    headers = {"x-csrf-token": csrf}
    short = client.post(f"/api/v1/jobs/{scheduled}/cancel", json={"reason": "no"}, headers=headers)
    assert short.status_code == 403 and short.headers["content-type"].startswith(
        "application/problem+json"
    )
    body = {"reason": "holiday week, no train"}
    cancelled = client.post(f"/api/v1/jobs/{scheduled}/cancel", json=body, headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    unknown = client.post(f"/api/v1/jobs/{scheduled}/explode", json=body, headers=headers)
    assert unknown.status_code == 404


def test_readyz_names_what_is_not_ready(client: TestClient, site: Site) -> None:
    ready = client.get("/readyz")  # no sign-in: probes do not sign in, and nothing secret shows
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "store": True, "migrations": True, "jobs": True}
    stalled = Runner(site.store, {}, clock=lambda: NOW)
    site.cache["runner"] = stalled  # created, never ticked: not alive
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.json()["jobs"] is False
    stalled.tick()
    assert client.get("/readyz").status_code == 200


def test_metrics_need_sign_in_and_count_the_queue(client: TestClient, site: Site) -> None:
    from trainmaster.store.models import GateResultRow

    seed_jobs(site)
    with site.store.transaction() as s:
        for gate, verdict in (
            ("p95-latency", "fail"),
            ("error-rate", "pass"),
            ("saturation", "pass"),
        ):
            s.add(GateResultRow(train_id=None, stage="prod", digest=None, gate=gate,
                                verdict=verdict, evidence="{}", evaluated_at=NOW))  # fmt: skip
    assert client.get("/metrics").status_code == 401
    sign_in(client, site, "captain")
    text = client.get("/metrics").text
    assert 'trainmaster_job_queue{status="dead"} 1.0' in text
    assert 'trainmaster_job_queue{status="scheduled"} 1.0' in text
    assert "trainmaster_job_lag_seconds_bucket" in text
    assert 'trainmaster_gate_evaluations{verdict="fail"} 1.0' in text
    assert 'trainmaster_gate_evaluations{verdict="pass"} 2.0' in text


def test_notifications_not_delivered_show_with_their_error(client: TestClient, site: Site) -> None:
    from trainmaster.notify.outbox import enqueue as add_message
    from trainmaster.notify.outbox import record_attempt

    event = {"id": "evt_1", "type": "train.rolled_back"}
    with site.store.transaction() as s:
        add_message(s, "msg_dead", "ops-hook", event, 1, NOW)
        add_message(s, "msg_wait", "team-chat", {**event, "id": "evt_2"}, 2, NOW)
        record_attempt(s, "msg_dead", status="dead", error="HTTP 410 from the receiver",
                       next_at=None, now=NOW)  # fmt: skip
    sign_in(client, site, "captain")
    listed = client.get("/api/v1/jobs").json()["notifications"]
    assert [(m["id"], m["last_error"]) for m in listed["dead"]] == [
        ("msg_dead", "HTTP 410 from the receiver")
    ]
    assert [m["id"] for m in listed["pending"]] == ["msg_wait"]
    page = client.get("/jobs").text
    assert page.index("Notifications not delivered") < page.index("HTTP 410 from the receiver")

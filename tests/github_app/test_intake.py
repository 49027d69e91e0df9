"""`POST /webhooks/github`: signature, size and shape checked before anything is stored; each
delivery stored once with its processing queued in the same transaction; GitHub's own example
payloads (validated against the official schema) accepted; unmanaged repositories ignored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.github_app.conftest import REPO, SECRET, deliver, example, signed
from trainmaster.jobs.model import JobStatus
from trainmaster.store import Store, deliveries
from trainmaster.store.jobs import get as get_job
from trainmaster.store.jobs import listing as list_jobs


def stored(store: Store) -> list[deliveries.Delivery]:
    with store.transaction() as session:
        return deliveries.listing(session)


def jobs(store: Store) -> list[str]:
    with store.transaction() as session:
        return [job.key for job in list_jobs(session)]


def post(client: TestClient, body: bytes, **headers: str) -> Any:
    base = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "d-1"}
    return client.post("/webhooks/github", content=body, headers={**base, **headers})


@pytest.mark.parametrize(
    "signature",
    [None, "sha256=" + "0" * 64, "sha1=abc", signed(b"another body"), signed(b"{}", "wrong")],
)
def test_a_missing_or_bad_signature_is_refused_and_nothing_is_stored(
    hooks: TestClient, store: Store, signature: str | None
) -> None:
    body = json.dumps(example("pull_request", "opened")).encode()
    headers = {"X-Hub-Signature-256": signature} if signature else {}
    reply = post(hooks, body, **headers)
    assert reply.status_code == 401
    assert stored(store) == [] and jobs(store) == []
    assert SECRET not in reply.text


def test_a_body_over_5_mb_is_refused_before_it_is_read(hooks: TestClient, store: Store) -> None:
    body = b'{"a": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    reply = post(hooks, body, **{"X-Hub-Signature-256": signed(body)})
    assert reply.status_code == 413
    assert stored(store) == []


def test_a_streamed_body_over_5_mb_without_length_is_refused(
    hooks: TestClient, store: Store
) -> None:
    chunk = b"x" * (1024 * 1024)

    def chunks() -> Any:  # no Content-Length: the read itself is capped
        yield b'{"a": "'
        for _ in range(6):
            yield chunk
        yield b'"}'

    reply = hooks.post("/webhooks/github", content=chunks(),
                       headers={"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-2",
                                "X-Hub-Signature-256": "sha256=" + "0" * 64})  # fmt: skip
    assert reply.status_code == 413
    assert stored(store) == []


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b"\xff\xfe",
        '{"a": 1}'.encode("utf-16"),
        b"[" * 5000 + b"]" * 5000,
        b'{"a": ' + b"[" * 65 + b"]" * 65 + b"}",
    ],
)
def test_malformed_json_is_a_400_and_nothing_is_stored(
    hooks: TestClient, store: Store, body: bytes
) -> None:
    reply = post(hooks, body, **{"X-Hub-Signature-256": signed(body)})
    assert reply.status_code == 400
    assert stored(store) == []


def test_a_delivery_without_an_id_is_a_400(hooks: TestClient, store: Store) -> None:
    body = json.dumps(example("pull_request", "opened")).encode()
    reply = hooks.post("/webhooks/github", content=body, headers={
        "X-GitHub-Event": "pull_request", "X-Hub-Signature-256": signed(body)})  # fmt: skip
    assert reply.status_code == 400
    assert stored(store) == []


def test_a_delivery_is_stored_with_its_job_and_a_redelivery_changes_nothing(
    hooks: TestClient, store: Store
) -> None:
    payload = example("pull_request", "opened")
    first = deliver(hooks, "pull_request", payload, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert first.status_code == 202
    assert first.json()["outcome"] == "queued"
    before = stored(store)
    assert [(d.event, d.action, d.repository, d.processed_at) for d in before] == [
        ("pull_request", "opened", REPO, None)
    ]
    assert before[0].subject == f"pr:{REPO}#{payload['number']}"
    assert before[0].installation == payload["installation"]["id"]
    assert json.loads(before[0].payload) == payload
    key = "github.webhook@72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert jobs(store) == [key]
    again = deliver(hooks, "pull_request", payload, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert again.status_code == 200
    assert again.json()["outcome"] == "redelivery: already received"
    assert stored(store) == before and jobs(store) == [key]
    with store.transaction() as session:
        job = get_job(session, key)
    assert job is not None and job.status is JobStatus.SCHEDULED


def test_an_unmanaged_repository_is_stored_ignored_and_not_processed(
    hooks: TestClient, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="trainmaster.github_app.intake")
    payload = example("pull_request", "opened", repo="someone/else")
    reply = deliver(hooks, "pull_request", payload, "d-other")
    assert reply.status_code == 202
    (found,) = stored(store)
    assert found.outcome == "ignored: repository someone/else is not managed by the policy"
    assert found.processed_at is not None
    assert jobs(store) == []
    assert "someone/else is not managed" in caplog.text


@pytest.mark.parametrize(
    ("event", "action", "queued"),
    [
        ("pull_request", "opened", True),
        ("pull_request", "synchronize", True),
        ("pull_request", "reopened", True),
        ("pull_request", "closed", True),
        ("pull_request", "labeled", False),
        ("check_suite", "completed", True),
        ("check_suite", "requested", False),
        ("check_run", "completed", True),
        ("workflow_run", "completed", True),
        ("workflow_run", "requested", False),
        ("push", None, True),
    ],
)
def test_every_official_example_is_accepted_and_only_what_we_act_on_is_queued(
    hooks: TestClient, store: Store, event: str, action: str | None, queued: bool
) -> None:
    reply = deliver(hooks, event, example(event, action), f"d-{event}-{action}")
    assert reply.status_code == 202
    (found,) = stored(store)
    assert (found.outcome == "queued") is queued, found.outcome
    assert (jobs(store) == [f"github.webhook@d-{event}-{action}"]) is queued


def test_without_a_configured_secret_nothing_is_accepted(
    hooks: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_WEBHOOK_SECRET")
    hooks.app.state.site.cache.pop("webhook-secret", None)  # type: ignore[attr-defined]
    reply = deliver(hooks, "pull_request", example("pull_request", "opened"))
    assert reply.status_code == 503
    assert stored(store) == []


def test_the_secret_may_come_from_a_file(
    hooks: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    path = tmp_path / "webhook.secret"
    path.write_text(SECRET + "\n")
    monkeypatch.delenv("GITHUB_WEBHOOK_SECRET")
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET_FILE", str(path))
    hooks.app.state.site.cache.pop("webhook-secret", None)  # type: ignore[attr-defined]
    reply = deliver(hooks, "pull_request", example("pull_request", "opened"))
    assert reply.status_code == 202
    assert len(stored(store)) == 1


def test_another_installation_than_the_policys_is_ignored(
    store: Store, tmp_path: Any, clock: Any, webhook_env: None
) -> None:
    from tests.github_app.conftest import client_for, make_policy
    from trainmaster.config.repository import AppAuth
    from trainmaster.wiring import App

    policy = make_policy(tmp_path)
    auth = AppAuth(app_id=1, private_key_path="key.pem", installation_id=77)
    policy = policy.model_copy(update={"github": policy.github.model_copy(update={"auth": auth})})
    for client in client_for(App(policy, tmp_path, store=store, clock=clock), clock):
        payload = example("pull_request", "opened")
        payload["installation"]["id"] = 78
        deliver(client, "pull_request", payload, "d-78")
        payload["installation"]["id"] = 77
        deliver(client, "pull_request", payload, "d-77")
    outcomes = {d.delivery: d.outcome for d in stored(store)}
    assert outcomes == {
        "d-78": "ignored: installation 78 is not the policy's (77)",
        "d-77": "queued",
    }
    assert jobs(store) == ["github.webhook@d-77"]


@pytest.mark.parametrize(("lists", "status"), [(63, 202), (64, 400)])
def test_nesting_is_bounded_at_64_levels(
    hooks: TestClient, store: Store, lists: int, status: int
) -> None:
    payload = example("pull_request", "opened")
    body = json.dumps(payload)[:-1].encode() + b', "deep": ' + b"[" * lists + b"]" * lists + b"}"
    reply = post(hooks, body, **{"X-Hub-Signature-256": signed(body)})
    assert reply.status_code == status
    assert len(stored(store)) == (1 if status == 202 else 0)

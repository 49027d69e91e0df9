"""The GitHub App's test rig: the official webhook schemas and example payloads from npm
(@octokit/webhooks-schemas, @octokit/webhooks-examples, fetched by `make servers` into .cache),
the serve app on a store (both SQLite and PostgreSQL), signing with the test secret, and the job
runner that processes what the intake queued."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from tests.train.fakes import Clock
from trainmaster.config import Policy, parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.github_app.signature import sign
from trainmaster.store import Store
from trainmaster.web.app import create_app
from trainmaster.web.settings import Site
from trainmaster.wiring import App

WEBHOOKS = Path(__file__).resolve().parents[2] / ".cache" / "octokit-webhooks"
SECRET = "whsec-test-0123456789abcdef"
REPO = "acme/maestro"


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((WEBHOOKS / "schemas/package/schema.json").read_text())
    return loaded


def _validator(event: str) -> jsonschema.Draft7Validator:
    definitions = schema()["definitions"]
    name = f"{event}_event" if f"{event}_event" in definitions else f"{event}$event"  # push, ping
    document = {"$ref": f"#/definitions/{name}", "definitions": definitions}
    return jsonschema.Draft7Validator(document)


def validate(event: str, payload: dict[str, Any]) -> None:
    """Fail unless `payload` is a valid `event` payload by GitHub's official webhook schema."""
    _validator(event).validate(payload)


@cache
def _examples() -> dict[str, list[dict[str, Any]]]:
    index = json.loads((WEBHOOKS / "examples/package/api.github.com/index.json").read_text())
    return {entry["name"]: entry["examples"] for entry in index}


def example(event: str, action: str | None = None, *, repo: str = REPO) -> dict[str, Any]:
    """GitHub's own example payload of `event.action`, moved to `repo` (then re-validated). The
    first example the schema accepts: some older examples lack fields the schema now requires."""
    found = next(
        e
        for e in _examples()[event]
        if (action is None or e.get("action") == action) and _validator(event).is_valid(e)
    )
    payload = copy.deepcopy(found)
    owner, name = repo.split("/")
    payload["repository"].update(full_name=repo, name=name)
    payload["repository"]["owner"]["login"] = owner
    validate(event, payload)
    return payload


def signed(body: bytes, secret: str = SECRET) -> str:
    return sign(secret.encode(), body)


def deliver(
    client: TestClient, event: str, payload: dict[str, Any], delivery: str | None = None
) -> Any:
    body = json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": signed(body),
        "Content-Type": "application/json",
    }
    return client.post("/webhooks/github", content=body, headers=headers)


def make_policy(
    tmp_path: Path, *, github_url: str | None = None, kubeconfig: str | None = None
) -> Policy:
    text = seed_policy_text("acme", "maestro").replace("  forge: github", "  forge: none")
    if kubeconfig:
        text = text.replace("  forge: none", f"  forge: none\n  kubeconfig: {kubeconfig}")
    if github_url:
        text = text.replace("api_url: https://api.github.com", f"api_url: {github_url}")
    return parse_policy(text)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def webhook_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", SECRET)
    monkeypatch.delenv("GITHUB_WEBHOOK_SECRET_FILE", raising=False)


def client_for(backends: App, clock: Clock) -> Iterator[TestClient]:
    site = Site(backends=backends, secret=b"s" * 32, now=clock)
    with TestClient(create_app(site), base_url="https://testserver") as client:
        yield client


@pytest.fixture
def hooks(store: Store, tmp_path: Path, clock: Clock, webhook_env: None) -> Iterator[TestClient]:
    """The serve app on `store` with the seed policy (forge none, no cluster needed)."""
    backends = App(make_policy(tmp_path), tmp_path, store=store, clock=clock)
    yield from client_for(backends, clock)

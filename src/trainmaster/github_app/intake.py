"""Receiving one webhook delivery: read its headers and body, store it once, queue its
processing. Called by the web route after the signature and size checks; the reply goes out
right after the store's commit and the work happens in a `github.webhook` job.

A delivery for a repository the policy does not manage, or of an event trainmaster does not
act on, is stored as `ignored` and logged, so `trainmaster app deliveries` shows it."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trainmaster.config.model import Policy
from trainmaster.jobs.model import JobSpec
from trainmaster.store import Store, deliveries
from trainmaster.store.jobs import enqueue

log = logging.getLogger(__name__)

MAX_BODY = 5 * 1024 * 1024  # GitHub caps payloads at 25 MB; ours (none near 1 MB) are bounded
MAX_DEPTH = 64
JOB = "github.webhook"
DELIVERY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
EVENT = re.compile(r"^[a-z_]{1,64}$")
# What trainmaster acts on: event -> actions (None: every action)
HANDLED: dict[str, frozenset[str] | None] = {
    "deployment_protection_rule": frozenset({"requested"}),
    "pull_request": frozenset({"opened", "synchronize", "reopened", "closed"}),
    "check_suite": frozenset({"completed"}),
    "check_run": frozenset({"completed"}),
    "workflow_run": frozenset({"completed"}),
    "push": None,
}


class BadDelivery(Exception):
    """The request is not a delivery we can read: `status` is the HTTP reply (400)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Receipt:
    delivery: str
    stored: bool  # False: a redelivery, acknowledged and ignored
    outcome: str


def read(headers: Mapping[str, str], body: bytes) -> tuple[str, str, dict[str, Any]]:
    """The delivery id, the event and the payload, or `BadDelivery`."""
    delivery = headers.get("x-github-delivery", "")
    event = headers.get("x-github-event", "")
    if not DELIVERY_ID.match(delivery):
        raise BadDelivery("X-GitHub-Delivery: missing or not a delivery id")
    if not EVENT.match(event):
        raise BadDelivery("X-GitHub-Event: missing or not an event name")
    try:
        payload = json.loads(body.decode("utf-8"))  # GitHub sends UTF-8; the row stores text
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadDelivery(f"body: not JSON ({error})") from None
    except RecursionError:
        raise BadDelivery(f"body: nested deeper than {MAX_DEPTH}") from None
    if not isinstance(payload, dict):
        raise BadDelivery("body: not a JSON object")
    if _depth(payload) > MAX_DEPTH:
        raise BadDelivery(f"body: nested deeper than {MAX_DEPTH}")
    return delivery, event, payload


def _depth(value: Any) -> int:
    level, frontier = 0, [value]
    while frontier:
        level += 1
        frontier = [
            child
            for item in frontier
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
    return level


def repository_of(payload: Mapping[str, Any]) -> str:
    repository = payload.get("repository")
    return str(repository.get("full_name", "")) if isinstance(repository, dict) else ""


def managed(policy: Policy, repository: str) -> bool:
    """The policy's repositories (`repos`), by name, case-insensitively as GitHub compares them."""
    return repository.casefold() in {r.casefold() for r in policy.repos}


def subject_of(event: str, payload: Mapping[str, Any]) -> tuple[str, datetime | None]:
    """What the delivery is about, and when GitHub says it happened (reordering is judged by
    it): the pull request, or the commit whose checks completed."""
    repository = repository_of(payload)
    if event == "pull_request":
        pull = payload.get("pull_request") or {}
        return f"pr:{repository}#{payload.get('number')}", _moment(pull.get("updated_at"))
    for name in ("check_suite", "check_run", "workflow_run"):
        if event == name and isinstance(payload.get(name), dict):
            return f"commit:{repository}@{payload[name].get('head_sha', '')}", None
    return "", None


def _moment(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def why_ignored(
    policy: Policy, event: str, action: str, repository: str, installation: int | None = None
) -> str | None:
    if event not in HANDLED:
        return f"ignored: trainmaster does not act on {event}"
    actions = HANDLED[event]
    if actions is not None and action not in actions:
        return f"ignored: trainmaster does not act on {event}.{action}"
    if not managed(policy, repository):
        return f"ignored: repository {repository or '(none)'} is not managed by the policy"
    expected = getattr(policy.github.auth, "installation_id", None)
    if expected is not None and installation != expected:
        return f"ignored: installation {installation} is not the policy's ({expected})"
    return None


def receive(
    store: Store, policy: Policy, headers: Mapping[str, str], body: bytes, now: datetime
) -> Receipt:
    """Store the delivery once and queue its processing, in one transaction."""
    delivery, event, payload = read(headers, body)
    action = str(payload.get("action") or "")
    repository = repository_of(payload)
    installation = payload.get("installation")
    installation_id = installation.get("id") if isinstance(installation, dict) else None
    if not isinstance(installation_id, int) or not 0 < installation_id < 2**63:
        installation_id = None
    ignored = why_ignored(policy, event, action, repository, installation_id)
    subject, happened_at = subject_of(event, payload)
    row = deliveries.Delivery(
        delivery, event, action[:64], installation_id, repository[:255], subject[:128],
        happened_at, now, now if ignored else None, ignored or "queued", 0, body.decode(),
    )  # fmt: skip
    with store.transaction() as session:
        if not deliveries.add(session, row):
            return Receipt(delivery, False, "redelivery: already received")
        if ignored is None:
            spec = JobSpec(JOB, f"{JOB}@{delivery}", now, {"delivery": delivery}, max_attempts=10)
            enqueue(session, spec, now)
    if ignored:
        log.info("webhook %s (%s.%s): %s", delivery, event, action, ignored)
    return Receipt(delivery, True, row.outcome)

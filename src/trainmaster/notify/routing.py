"""Which targets receive an event (events, lanes, stages) and each message's id: purely
computational."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from trainmaster.config.notify import NotifyTarget


def wants(target: NotifyTarget, event: Mapping[str, Any]) -> bool:
    """A target's routing: every condition it sets must hold. A stage filter applies only to
    events about a stage (the announcement and the release notes are about the whole train)."""
    if "*" not in target.events and event["type"] not in target.events:
        return False
    data = event["data"]
    train = data.get("train")
    if train is not None and train["lane"] not in target.lanes:
        return False
    stage = data.get("stage")
    return not (target.stages and stage is not None and stage not in target.stages)


def routed(targets: Iterable[NotifyTarget], event: Mapping[str, Any]) -> list[NotifyTarget]:
    return [t for t in targets if wants(t, event)]


def message_id(event_id: str, target: str) -> str:
    """The idempotency key of one event for one target: the `webhook-id` of every attempt."""
    digest = hashlib.sha256(f"{event_id}\0{target}".encode()).hexdigest()[:26]
    return f"msg_{digest}"

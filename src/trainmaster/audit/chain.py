"""Pure hashing of audit events: hash = SHA-256 over the canonical JSON of the event + prev_hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the same data always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    at: str  # ISO 8601 UTC with microseconds and a Z
    actor: str
    action: str
    target: str
    reason: str
    payload: str  # canonical JSON text
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "reason": self.reason,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.body(), "payload": json.loads(self.payload), "hash": self.hash}


def event_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def seal(
    *, seq: int, at: str, actor: str, action: str, target: str, reason: str, payload: Any, prev: str
) -> AuditEvent:
    """Build the event for these fields, with its hash."""
    unsealed = AuditEvent(seq, at, actor, action, target, reason, canonical_json(payload), prev, "")
    return dataclasses.replace(unsealed, hash=event_hash(unsealed.body()))


def first_broken(events: Iterable[AuditEvent], start_prev: str = GENESIS) -> int | None:
    """The seq of the first event whose hash, link or numbering is wrong; None if intact.

    `start_prev` lets an excerpt of the chain (an evidence bundle) be checked on its own.
    """
    prev = start_prev
    expected_seq: int | None = None
    for event in events:
        if expected_seq is not None and event.seq != expected_seq:
            return expected_seq
        if event.prev_hash != prev or event_hash(event.body()) != event.hash:
            return event.seq
        prev = event.hash
        expected_seq = event.seq + 1
    return None

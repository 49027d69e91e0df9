"""The signed head of the audit chain: its newest seq and hash, and what a store is judged by.

Pure. The chain proves every event is linked to the one before, but not that the newest events
are all there: deleting the tail, or rewriting one event and recomputing every later hash, leaves
a chain that verifies. A head signed with a key the store does not hold, and kept outside the
store, closes that gap: `judge` compares the store's chain with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

FORMAT = "trainmaster-audit-head/1"


class HeadError(ValueError):
    """A checkpoint's text is not a head this version wrote."""


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    mac: str  # HMAC-SHA256 over the format, seq and hash, hex

    def to_text(self) -> str:
        body = {"format": FORMAT, "seq": self.seq, "hash": self.hash, "mac": self.mac}
        return json.dumps(body, sort_keys=True) + "\n"


def sign(seq: int, event_hash: str, key: bytes) -> Head:
    return Head(seq, event_hash, _mac(seq, event_hash, key))


def authentic(head: Head, key: bytes) -> bool:
    return hmac.compare_digest(head.mac, _mac(head.seq, head.hash, key))


def _mac(seq: int, event_hash: str, key: bytes) -> str:
    message = f"{FORMAT}\n{seq}\n{event_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def parse_head(text: str) -> Head:
    try:
        body = json.loads(text)
    except ValueError as e:
        raise HeadError("not JSON") from e
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise HeadError(f"not a {FORMAT} checkpoint")
    seq, event_hash, mac = body.get("seq"), body.get("hash"), body.get("mac")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise HeadError("seq is not a positive integer")
    if not isinstance(event_hash, str) or not isinstance(mac, str):
        raise HeadError("hash and mac are strings")
    return Head(seq, event_hash, mac)


@dataclass(frozen=True)
class Judgement:
    problems: tuple[str, ...]  # the chain was cut or rewritten, or the head was forged
    notes: tuple[str, ...] = ()  # true but not a breach (events newer than the head)


def judge(
    where: str,
    head: Head | None,
    key: bytes | None,
    last_seq: int,
    hash_at_head: str | None,
) -> Judgement:
    """The store's chain (its newest seq, and its hash at the head's seq) against one head."""
    if head is None:
        return Judgement((f"{where}: the signed head is missing",))
    if key is None:
        return Judgement((f"{where}: no key to check the signed head with",))
    if not authentic(head, key):
        return Judgement((f"{where}: the signed head's signature does not verify",))
    if last_seq < head.seq:
        return Judgement(
            (
                f"{where}: the chain ends at seq {last_seq} but the signed head is seq "
                f"{head.seq}: the newest events were deleted",
            )
        )
    if hash_at_head != head.hash:
        return Judgement(
            (f"{where}: event {head.seq} differs from the signed head: the chain was rewritten",)
        )
    newer = last_seq - head.seq
    notes = (f"{where}: {newer} newest event(s) are after the signed head",) if newer else ()
    return Judgement((), notes)

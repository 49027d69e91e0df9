"""When to try a failed delivery again: exponential backoff with jitter, and `Retry-After`.
Purely computational (the randomness is passed in)."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

BASE_SECONDS = 2.0  # the first retry comes after 1-2 s: a blip clears, a command isn't held long
CAP_SECONDS = 3600.0  # never wait more than an hour between attempts
RETRY_AFTER_MAX = 3600.0  # a receiver asking for longer is capped (then it may dead-letter)


def backoff(attempt: int, jitter: float) -> float:
    """Seconds before attempt `attempt + 1`, `jitter` in [0, 1): "equal jitter", half fixed and
    half random, so retries of many messages spread out but none comes back too soon."""
    ceiling = min(CAP_SECONDS, BASE_SECONDS * 2.0 ** max(attempt - 1, 0))
    return ceiling / 2 + ceiling / 2 * jitter


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a `Retry-After` header asks for: delta-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), RETRY_AFTER_MAX)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return min(max((when - now).total_seconds(), 0.0), RETRY_AFTER_MAX)


def next_delay(attempt: int, jitter: float, asked: float | None) -> float:
    """The receiver's `Retry-After` wins when it asks for longer than the backoff would wait."""
    own = backoff(attempt, jitter)
    return max(own, asked) if asked is not None else own

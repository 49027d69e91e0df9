"""Durations as people write them in the policy: `90s`, `5m`, `1h30m`, `3d`, `2w`, `250ms`."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
PATTERN = r"^(\d+(\.\d+)?(ms|s|m|h|d|w))+$"
MAX_LENGTH = 64  # characters; `1w2d3h4m5s6ms` is 13
# Python's timedelta ends at 999,999,999 days; no release waits ten years.
MAX_SECONDS = 10 * 366 * 86400.0


def parse_duration(text: str) -> timedelta:
    """Parse a duration string; raise ValueError with a message fit for a policy error."""
    raw = text.strip()
    if len(raw) > MAX_LENGTH:
        raise ValueError(f"duration is longer than {MAX_LENGTH} characters")
    if raw.startswith("-"):
        raise ValueError(f"negative duration {text!r} is not allowed")
    if not raw or not re.fullmatch(PATTERN, raw):
        raise ValueError(
            f"invalid duration {text!r}: use a number and a unit, like 90s, 5m, 1h30m, 3d"
        )
    seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(raw))
    if seconds > MAX_SECONDS:
        raise ValueError(f"duration {text!r} is too long: at most 10 years")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest exact string for a duration, the inverse of parse_duration."""
    total_ms = round(value.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    parts: list[str] = []
    for unit, size in (
        ("w", 604800000),
        ("d", 86400000),
        ("h", 3600000),
        ("m", 60000),
        ("s", 1000),
    ):
        count, total_ms = divmod(total_ms, size)
        if count:
            parts.append(f"{count}{unit}")
    if total_ms:
        parts.append(f"{total_ms}ms")
    return "".join(parts)

"""Durations as people write them in the policy: `90s`, `5m`, `1h30m`, `3d`, `2w`, `250ms`."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
PATTERN = r"^(\d+(\.\d+)?(ms|s|m|h|d|w))+$"


def parse_duration(text: str) -> timedelta:
    """Parse a duration string; raise ValueError with a message fit for a policy error."""
    raw = text.strip()
    if raw.startswith("-"):
        raise ValueError(f"negative duration {text!r} is not allowed")
    if not raw or not re.fullmatch(PATTERN, raw):
        raise ValueError(
            f"invalid duration {text!r}: use a number and a unit, like 90s, 5m, 1h30m, 3d"
        )
    seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(raw))
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

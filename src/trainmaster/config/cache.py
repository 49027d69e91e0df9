"""A content-addressed record of policies that validated, so `trainmaster validate` of an unchanged
file answers without importing pydantic (CI runs validate on every push; most pushes do not touch
the policy).

The key covers the file's bytes, trainmaster's version and the size and mtime of every module of
the config package, so a changed file or a changed validator misses the cache. Only successes are
recorded: an invalid policy is validated in full every time. Standard library only: this module is
imported on the fast path.
"""

from __future__ import annotations

import hashlib
import json
import os

from trainmaster import __version__

_CONFIG_DIR = os.path.dirname(__file__)


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "trainmaster", "validated")


def _validator_fingerprint() -> str:
    parts = [__version__]
    for entry in sorted(os.scandir(_CONFIG_DIR), key=lambda e: e.name):
        if entry.name.endswith((".py", ".yaml")):
            stat = entry.stat()
            parts.append(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def policy_key(content: bytes) -> str:
    digest = hashlib.sha256(content)
    digest.update(_validator_fingerprint().encode())
    return digest.hexdigest()


def lookup(content: bytes) -> dict[str, object] | None:
    try:
        with open(_entry(content), encoding="utf-8") as handle:
            value = json.load(handle)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _entry(content: bytes) -> str:
    return os.path.join(cache_dir(), f"{policy_key(content)}.json")


def remember(content: bytes, summary: dict[str, object]) -> None:
    """Record a successful validation; a cache that cannot be written is simply skipped."""
    target = _entry(content)
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = f"{target}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(summary, handle)
        os.replace(tmp, target)
    except OSError:
        pass

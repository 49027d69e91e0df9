"""Who is acting: --actor, TRAINMASTER_ACTOR, GITHUB_ACTOR, then git config."""

from __future__ import annotations

import os
import subprocess


def resolve_actor(explicit: str | None = None) -> str:
    if explicit:
        return explicit
    for var in ("TRAINMASTER_ACTOR", "GITHUB_ACTOR"):
        if value := os.environ.get(var):
            return value
    for key in ("user.email", "user.name"):
        try:
            out = subprocess.run(
                ["git", "config", "--get", key],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            break
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    return "unknown"

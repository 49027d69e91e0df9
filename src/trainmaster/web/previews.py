"""Preview environments (one per pull request) and how long each has left before its TTL."""

from __future__ import annotations

from typing import Any

from trainmaster.web.settings import Site


def previews(site: Site) -> dict[str, Any]:
    if site.previews is None:
        return {"available": False, "items": []}
    now = site.now()
    items = []
    for env in sorted(site.previews(), key=lambda e: e.namespace):
        if not env.managed:
            continue
        expires = env.expires_at
        left = int((expires - now).total_seconds()) if expires else None
        items.append(
            {
                "namespace": env.namespace,
                "pr": env.pr,
                "expires_at": expires.isoformat() if expires else None,
                "seconds_left": left,
                "expired": left is not None and left <= 0,
            }
        )
    return {"available": True, "items": items}

"""Pacing for GitHub's per-endpoint secondary limit: at most N points a minute per endpoint.

GitHub scores a REST GET/HEAD 1 point and a write 5, and allows 900 points a minute to a single
endpoint (a route such as `GET /repos/{owner}/{repo}/rulesets`, whatever the repo). A sweep over
an organization hits the same few routes once per repo, so the budget is per route template.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW = 60.0  # seconds
_REPO = re.compile(r"^/repos/[^/]+/[^/]+")
_ORG = re.compile(r"^/(orgs|users)/[^/]+")
_NAMED = re.compile(r"/(environments|teams|branches|tags|apps)/[^/]+")
_NUMBER = re.compile(r"/\d+(?=/|$)")


def endpoint(method: str, path: str) -> str:
    """The route template a request belongs to, e.g. `GET /repos/{}/{}/rulesets/{}`."""
    route = _REPO.sub("/repos/{}/{}", path.split("?", 1)[0])
    route = _ORG.sub(r"/\1/{}", route)
    route = _NAMED.sub(r"/\1/{}", route)
    return f"{method} {_NUMBER.sub('/{}', route)}"


def points(method: str) -> int:
    return 1 if method in ("GET", "HEAD", "OPTIONS") else 5


class Pacer:
    """A sliding one-minute window of points per endpoint; `wait()` sleeps until one fits."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self._clock, self._sleep = clock, sleep
        self._spent: dict[str, deque[tuple[float, int]]] = {}
        self._lock = threading.Lock()

    def wait(self, method: str, path: str) -> None:
        key, cost = endpoint(method, path), points(method)
        while True:
            with self._lock:
                now = self._clock()
                window = self._spent.setdefault(key, deque())
                while window and window[0][0] <= now - WINDOW:
                    window.popleft()
                if sum(p for _, p in window) + cost <= self.per_minute:
                    window.append((now, cost))
                    return
                delay = window[0][0] + WINDOW - now
            self._sleep(max(delay, 0.01))

"""Scraped samples in memory, per series, in time order; selection by label matchers.

Selection follows Prometheus 2.x: an instant selector takes the newest sample within the 5-minute
lookback unless a staleness marker came after it; a range selector takes the samples in
[t - range, t], both ends included, markers excluded."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from trainmaster.gates.promql import Matcher

Labels = tuple[tuple[str, str], ...]  # sorted (name, value) pairs, __name__ included
LOOKBACK = 300.0  # seconds: Prometheus' default lookback delta


@dataclass
class Track:
    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    stale: list[bool] = field(default_factory=list)

    def append(self, t: float, v: float, stale: bool = False) -> None:
        if self.times and t <= self.times[-1]:
            return  # out of order or duplicate: Prometheus would reject it too
        self.times.append(t)
        self.values.append(v)
        self.stale.append(stale)

    def latest(self, t: float) -> float | None:
        i = bisect.bisect_right(self.times, t) - 1
        if i < 0 or self.stale[i] or self.times[i] < t - LOOKBACK:
            return None
        return self.values[i]

    def window(self, t: float, span: float) -> list[tuple[float, float]]:
        lo = bisect.bisect_left(self.times, t - span)
        hi = bisect.bisect_right(self.times, t)
        return [(self.times[i], self.values[i]) for i in range(lo, hi) if not self.stale[i]]


class SampleStore:
    """Thread-safe: the scraper appends while queries read."""

    def __init__(self, retention: float = 3 * 3600.0) -> None:
        self.retention = retention
        self._tracks: dict[Labels, Track] = {}
        self._by_name: dict[str, set[Labels]] = {}
        self._lock = threading.RLock()  # queries hold it across many selections

    def add(self, labels: Labels, t: float, v: float, *, stale: bool = False) -> None:
        with self._lock:
            track = self._tracks.get(labels)
            if track is None:
                track = self._tracks[labels] = Track()
                self._by_name.setdefault(dict(labels).get("__name__", ""), set()).add(labels)
            track.append(t, v, stale)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold off writers (appends, trims) for the length of one query."""
        with self._lock:
            yield

    def select(self, matchers: Sequence[Matcher]) -> list[tuple[Labels, Track]]:
        names = [m.value for m in matchers if m.name == "__name__" and m.op == "="]
        with self._lock:
            pool = self._by_name.get(names[0], set()) if names else set(self._tracks)
            picked = [
                (labels, self._tracks[labels])
                for labels in pool
                if all(m.matches(dict(labels).get(m.name, "")) for m in matchers)
            ]
        return picked

    def snapshot(self) -> list[tuple[Labels, Track]]:
        """A copy of every series, for saving the history (the local supervisor's)."""
        with self._lock:
            return [
                (labels, Track(list(t.times), list(t.values), list(t.stale)))
                for labels, t in self._tracks.items()
            ]

    def trim(self, now: float) -> None:
        """Forget samples older than the retention (a long watch must not grow without end)."""
        cutoff = now - self.retention
        with self._lock:
            for track in self._tracks.values():
                keep = bisect.bisect_left(track.times, cutoff)
                if keep:
                    del track.times[:keep], track.values[:keep], track.stale[:keep]

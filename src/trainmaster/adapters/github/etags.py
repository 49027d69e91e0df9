"""Conditional GETs: remembered ETags and bodies, so an unchanged resource costs a 304.

GitHub does not count a 304 against the primary rate limit. The cache key is the request URL.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Cached:
    etag: str
    body: Any


class EtagCache(Protocol):
    def get(self, key: str) -> Cached | None: ...

    def put(self, key: str, etag: str, body: Any) -> None: ...

    def flush(self) -> None:
        """Persist what was learnt (a no-op for memory caches)."""
        ...


class MemoryEtagCache:
    def __init__(self) -> None:
        self._entries: dict[str, Cached] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Cached | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, etag: str, body: Any) -> None:
        with self._lock:
            self._entries[key] = Cached(etag, body)

    def flush(self) -> None:
        return None


class StoreEtagCache(MemoryEtagCache):
    """Loaded from the store once, written back in one transaction by `flush()`."""

    def __init__(self, store: Any) -> None:
        super().__init__()
        self._store = store
        self._dirty: set[str] = set()
        self._loaded = False

    def _load(self) -> None:
        from sqlalchemy import select

        from trainmaster.store.models import EtagRow

        with self._store.transaction() as session:
            for row in session.execute(select(EtagRow)).scalars():
                self._entries[row.key] = Cached(row.etag, json.loads(row.body))
        self._loaded = True

    def get(self, key: str) -> Cached | None:
        with self._lock:
            if not self._loaded:
                self._load()
            return self._entries.get(key)

    def put(self, key: str, etag: str, body: Any) -> None:
        with self._lock:
            self._entries[key] = Cached(etag, body)
            self._dirty.add(key)

    def flush(self) -> None:
        from trainmaster.store.models import EtagRow

        with self._lock:
            dirty, self._dirty = self._dirty, set()
            entries = {k: self._entries[k] for k in dirty}
        if not entries:
            return
        with self._store.transaction() as session:
            for key, cached in entries.items():
                session.merge(EtagRow(key=key, etag=cached.etag, body=json.dumps(cached.body)))

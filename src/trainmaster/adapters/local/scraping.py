"""The local target's one scraper: the supervisor scrapes every colour of every rollout it runs and
keeps the history, so that every CLI invocation's gates query the same samples (a one-shot
`gate run` or `train verify` no longer starts from an empty history and finds every rate
inconclusive).

Each colour is scraped straight from its process (not through the proxy), labelled as
kube-prometheus labels a pod: `job="<service>"`, `namespace`, `pod="<service>-<hash>-local"`
where `<hash>` is the release's `release_hash(digest, colour, namespace)`
(RolloutState.active_hash / preview_hash), so the policy's pod template selects one colour.
The history is bounded (the store's retention, and at most `MAX_SAVED_SAMPLES` samples saved)
and is saved in the workspace, `.trainmaster/local/metrics.json.gz`, every `SAVE_EVERY` seconds
and at stop, then loaded by the next supervisor.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainmaster.adapters.local.cluster import LocalCluster, pod_hash
from trainmaster.adapters.scrape.samples import SampleStore
from trainmaster.adapters.scrape.source import ScrapeMetrics
from trainmaster.gates.port import Series

if TYPE_CHECKING:
    from trainmaster.adapters.local.process import Release
    from trainmaster.rollout.port import Target

FORMAT = 1
SAVE_EVERY = 30.0  # seconds between saves of the history while the supervisor runs
MAX_SAVED_SAMPLES = 500_000  # newest kept; the rest of a larger history is not written
SCRAPE_INTERVAL = 1.0  # seconds; the demo's windows are seconds long


def history_path(base_dir: Path) -> Path:
    return base_dir / ".trainmaster" / "local" / "metrics.json.gz"


class LocalScraper:
    """Scrapes `cluster`'s colours every `interval` seconds; answers range queries."""

    def __init__(
        self, cluster: LocalCluster, base_dir: Path, *, interval: float = SCRAPE_INTERVAL
    ) -> None:
        self.cluster, self.path = cluster, history_path(base_dir)
        self._labels: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        store = SampleStore()
        load_history(store, self.path)
        job = cluster.policy.project.name
        self.source = ScrapeMetrics(
            self.urls, job=job, interval=interval, labels=self.labels_of, store=store
        )
        self._stop = threading.Event()
        self._saver: threading.Thread | None = None

    def urls(self) -> list[str]:
        """Each colour's own /metrics URL, with its labels remembered for `labels_of`."""
        path = self.cluster.policy.backends.local.metrics_path
        found: dict[str, dict[str, str]] = {}
        for slot in self.cluster.slots():
            service, namespace = slot.target.name, slot.target.namespace
            for release in (slot.active, slot.pending):
                if release is not None and release.alive:
                    found[release.url.rstrip("/") + path] = _pod_labels(service, namespace, release)
        with self._lock:
            self._labels.update(found)
        return sorted(found)

    def labels_of(self, url: str) -> dict[str, str]:
        with self._lock:
            return dict(self._labels.get(url, {}))

    def start(self) -> None:
        self.source.start()
        self._saver = threading.Thread(target=self._save_loop, name="trainmaster-save", daemon=True)
        self._saver.start()

    def _save_loop(self) -> None:
        while not self._stop.wait(SAVE_EVERY):
            self.save()

    def save(self) -> None:
        save_history(self.source.store, self.path)

    def query_range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]:
        return self.source.query_range(query, start, end, step)

    def close(self) -> None:
        """Stop scraping, then save the history for the next supervisor."""
        self._stop.set()
        self.source.close()
        if self._saver is not None:
            self._saver.join(timeout=5)
        self.save()


def _pod_labels(service: str, namespace: str, release: Release) -> dict[str, str]:
    return {
        "job": service,
        "namespace": namespace,
        "pod": f"{service}-{pod_hash(release, namespace)}-local",
    }


class ColourTargets:
    """Scrape targets for a scraper outside the supervisor (the demo, a CLI without one): the
    /metrics URLs of each rollout's colours — the active one through the proxy, the preview
    straight — asked again at every scrape, each with the pod labels of the colour it reaches,
    so the same pod template selects one colour as on the supervisor's scraper. (A switch
    between the two reads labels one scrape with the colour that was active a moment before.)"""

    def __init__(self, cluster: Any, targets: list[Target], metrics_path: str) -> None:
        self.cluster, self.targets, self.path = cluster, targets, metrics_path
        self._labels: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def __call__(self) -> list[str]:
        found: dict[str, dict[str, str]] = {}
        status = getattr(self.cluster, "status", None)  # a stand-in may offer endpoints only
        for target in self.targets:
            endpoints = self.cluster.endpoints(target)
            state = status(target) if status is not None else None
            active = state.active_hash if state is not None else None
            preview = state.preview_hash if state is not None else None
            for url, pod in (
                (endpoints.active, active),
                (endpoints.preview, preview),
            ):
                if url:
                    labels = {"job": target.name, "namespace": target.namespace}
                    found[url.rstrip("/") + self.path] = {
                        **labels,
                        **({"pod": f"{target.name}-{pod}-local"} if pod else {}),
                    }
        with self._lock:
            self._labels = found
        return sorted(found)

    def labels(self, url: str) -> dict[str, str]:
        with self._lock:
            return dict(self._labels.get(url, {}))


def save_history(store: SampleStore, path: Path) -> None:
    """Write the newest `MAX_SAVED_SAMPLES` samples atomically, readable by the owner only."""
    series = store.snapshot()
    newest = sorted((t for _, track in series for t in track.times), reverse=True)
    cutoff = newest[MAX_SAVED_SAMPLES - 1] if len(newest) >= MAX_SAVED_SAMPLES else -math.inf
    rows: list[dict[str, Any]] = []
    for labels, track in series:
        keep = [i for i, t in enumerate(track.times) if t >= cutoff]
        if keep:
            rows.append(
                {
                    "labels": [list(p) for p in labels],
                    "t": [track.times[i] for i in keep],
                    "v": [track.values[i] for i in keep],
                    "stale": [j for j, i in enumerate(keep) if track.stale[i]],
                }
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
        out.write(json.dumps({"format": FORMAT, "series": rows}).encode())
    os.replace(scratch, path)


def load_history(store: SampleStore, path: Path) -> int:
    """Load a saved history into `store`; a missing or unreadable file is an empty history (the
    samples are a cache of what the releases exposed, not a record). Returns the samples read."""
    try:
        with gzip.open(path, "rb") as raw:
            data = json.loads(raw.read())
        rows = data["series"] if data.get("format") == FORMAT else []
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return 0
    count = 0
    for row in rows[:MAX_SAVED_SAMPLES]:
        try:
            labels = tuple(sorted((str(k), str(v)) for k, v in row["labels"]))
            stale = set(row.get("stale", []))
            points = list(zip(row["t"], row["v"], strict=True))[:MAX_SAVED_SAMPLES]
        except (KeyError, TypeError, ValueError):
            continue
        for i, (t, v) in enumerate(points):
            store.add(labels, float(t), float(v), stale=i in stale)
            count += 1
    return count

"""The embedded metrics backend: scrape `/metrics` URLs and answer range queries locally.

Every `interval` seconds each URL is fetched and parsed with prometheus_client's exposition
parser; samples are stored with the scrape time, labelled `job` (the service) and `instance`
(host:port), like Prometheus does. A series that vanishes, or a whole target that stops answering
or leaves the URL list (a blue/green switch), gets a staleness marker, and `up` records 0 or 1."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx

from trainmaster.adapters.scrape.engine import evaluate
from trainmaster.adapters.scrape.samples import Labels, SampleStore
from trainmaster.errors import PolicyError
from trainmaster.gates.port import Series
from trainmaster.gates.promql import Unsupported, parse


class ScrapeMetrics:
    """`Metrics` over scraped samples. `start()` runs the poller; `scrape()` polls once."""

    def __init__(
        self,
        urls: Callable[[], list[str]],
        *,
        job: str,
        interval: float = 1.0,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.urls, self.job, self.interval, self.clock = urls, job, interval, clock
        self.store = SampleStore()
        self.queries = 0
        self._client = httpx.Client(timeout=timeout, trust_env=False)
        self._seen: dict[str, set[Labels]] = {}  # per URL: series of its last scrape
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="trainmaster-scrape", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._client.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            self.scrape()
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - began)))

    def scrape(self, now: float | None = None) -> None:
        moment = self.clock() if now is None else now
        urls = list(self.urls())
        for gone in set(self._seen) - set(urls):
            self._mark_stale(gone, set(), moment)
        for url in urls:
            self._scrape_one(url, moment)
        self.store.trim(moment)

    def ingest(self, url: str, text: str, moment: float) -> None:
        """Store one exposition as if scraped from `url` at `moment`."""
        from prometheus_client.parser import text_string_to_metric_families

        instance = urlsplit(url).netloc
        base = {"job": self.job, "instance": instance}
        current: set[Labels] = set()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = {
                    ("exported_" + k if k in base else k): v for k, v in sample.labels.items()
                }
                key = tuple(sorted({**labels, **base, "__name__": sample.name}.items()))
                current.add(key)
                self.store.add(key, moment, float(sample.value))
        self._mark_stale(url, current, moment)
        self._up(instance, moment, 1.0)

    def _scrape_one(self, url: str, moment: float) -> None:
        try:
            response = self._client.get(url)
            response.raise_for_status()
            self.ingest(url, response.text, moment)
        except (httpx.HTTPError, ValueError):
            # A target that fails a scrape is down: its series go stale, `up` is 0.
            self._mark_stale(url, set(), moment)
            self._up(urlsplit(url).netloc, moment, 0.0)

    def _up(self, instance: str, moment: float, value: float) -> None:
        labels = (("__name__", "up"), ("instance", instance), ("job", self.job))
        self.store.add(labels, moment, value)

    def _mark_stale(self, url: str, current: set[Labels], moment: float) -> None:
        for labels in self._seen.get(url, set()) - current:
            self.store.add(labels, moment, float("nan"), stale=True)
        if current:
            self._seen[url] = current
        else:
            self._seen.pop(url, None)

    def query_range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]:
        self.queries += 1
        try:
            expr = parse(query)
        except Unsupported as e:
            raise PolicyError(f"the embedded scrape backend cannot run this query: {e}") from e
        first, last, every = start.timestamp(), end.timestamp(), step.total_seconds()
        collected: dict[Labels, list[tuple[float, float]]] = {}
        count = int((last - first) / every + 1e-9) + 1
        try:
            with self.store.reading():
                for k in range(count):
                    t = round(first + k * every, 3)
                    value = evaluate(expr, self.store, t)
                    if isinstance(value, float):
                        value = {(): value}
                    for labels, v in value.items():
                        collected.setdefault(labels, []).append((t, v))
        except Unsupported as e:
            raise PolicyError(f"the embedded scrape backend cannot run this query: {e}") from e
        return [Series(labels=dict(k), points=tuple(v)) for k, v in collected.items()]

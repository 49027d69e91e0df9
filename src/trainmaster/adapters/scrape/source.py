"""The embedded metrics backend: scrape `/metrics` URLs and answer range queries locally.

Every `interval` seconds each URL is fetched and parsed with prometheus_client's exposition
parser; samples are stored with the scrape time, labelled `job` (the service) and `instance`
(host:port), like Prometheus does. A series that vanishes, or a whole target that stops answering
or leaves the URL list (a blue/green switch), gets a staleness marker, and `up` records 0 or 1.

An exposition is untrusted text: any failure to read it (a value out of float range, a broken
line, a body over the size or sample limit) marks that target down with the reason, as Prometheus
fails the scrape, and the poller goes on. A poller that stopped completing rounds makes queries
fail as temporarily unavailable (the gate says inconclusive) instead of answering from frozen
samples."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx

from trainmaster.adapters.scrape.engine import evaluate
from trainmaster.adapters.scrape.samples import Labels, SampleStore
from trainmaster.errors import ExternalError, PolicyError
from trainmaster.gates.port import Series
from trainmaster.gates.promql import Unsupported, parse

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10_000_000  # Prometheus's `body_size_limit`, which defaults to unlimited
MAX_SAMPLES = 100_000  # Prometheus's `sample_limit`: over it, the whole scrape fails
MAX_NUMBER_CHARS = 64  # a float64 needs at most 24 ("-1.7976931348623157e+308")
STALE_ROUNDS = 5  # rounds without a completed scrape before the data counts as frozen


class ScrapeFailed(ValueError):
    """One scrape could not be read; the message is the reason the target is down."""


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
        labels: Callable[[str], dict[str, str]] | None = None,
        store: SampleStore | None = None,
    ) -> None:
        self.urls, self.job, self.interval, self.clock = urls, job, interval, clock
        # Target labels per URL (the local supervisor: job, namespace, pod of one colour).
        self.labels = labels or (lambda url: {})
        self.store = store or SampleStore()
        self.queries = 0
        self._client = httpx.Client(timeout=timeout, trust_env=False)
        self._seen: dict[str, set[Labels]] = {}  # per URL: series of its last scrape
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.down: dict[str, str] = {}  # URL → why its last scrape failed
        self.last_round: float | None = None  # monotonic time the last scrape round completed
        self.stale_after = max(STALE_ROUNDS * interval, 2 * timeout + interval)

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
            try:
                self.scrape()
            except Exception:  # the poller must outlive any one round (a broken URL list)
                log.exception("scrape round failed; trying again next interval")
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - began)))

    def scrape(self, now: float | None = None) -> None:
        moment = self.clock() if now is None else now
        urls = list(self.urls())
        for gone in set(self._seen) - set(urls):
            self._mark_stale(gone, set(), moment)
        for url in urls:
            self._scrape_one(url, moment)
        self.store.trim(moment)
        self.last_round = time.monotonic()

    def ingest(self, url: str, text: str, moment: float) -> None:
        """Store one exposition as if scraped from `url` at `moment`."""
        from prometheus_client.parser import text_string_to_metric_families

        base = self._target_labels(url)
        parsed: dict[Labels, float] = {}
        _check_numbers(text)
        try:
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    labels = {
                        ("exported_" + k if k in base else k): v for k, v in sample.labels.items()
                    }
                    key = tuple(sorted({**labels, **base, "__name__": sample.name}.items()))
                    parsed[key] = _value(sample.value)
                    if len(parsed) > MAX_SAMPLES:
                        raise ScrapeFailed(f"more than {MAX_SAMPLES} samples")
        except ScrapeFailed:
            raise
        except Exception as e:  # the parser's error boundary: any failure fails this scrape
            raise ScrapeFailed(f"invalid exposition: {type(e).__name__}: {e}"[:300]) from e
        for key, value in parsed.items():  # all or nothing: a broken scrape stores no sample
            self.store.add(key, moment, value)
        self._mark_stale(url, set(parsed), moment)
        self._up(url, moment, 1.0)

    def _scrape_one(self, url: str, moment: float) -> None:
        try:
            self.ingest(url, self._fetch(url), moment)
        except (httpx.HTTPError, ScrapeFailed, UnicodeDecodeError) as e:
            # A target that fails a scrape is down: its series go stale, `up` is 0.
            reason = str(e) or type(e).__name__
            if self.down.get(url) != reason:
                log.warning("scrape of %s failed: %s", url, reason)
            self.down[url] = reason
            self._mark_stale(url, set(), moment)
            self._up(url, moment, 0.0)
        else:
            self.down.pop(url, None)

    def _fetch(self, url: str) -> str:
        with self._client.stream("GET", url) as response:
            response.raise_for_status()
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise ScrapeFailed(f"body larger than {MAX_BODY_BYTES} bytes")
        return body.decode(response.encoding or "utf-8")

    def _target_labels(self, url: str) -> dict[str, str]:
        return {"job": self.job, "instance": urlsplit(url).netloc, **self.labels(url)}

    def _up(self, url: str, moment: float, value: float) -> None:
        labels = tuple(sorted({**self._target_labels(url), "__name__": "up"}.items()))
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
        self._check_fresh()
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

    def _check_fresh(self) -> None:
        """Refuse to answer from samples the poller stopped refreshing (only once it runs)."""
        if self._thread is None:
            return
        age = time.monotonic() - self.last_round if self.last_round is not None else None
        if not self._thread.is_alive() or (age is not None and age > self.stale_after):
            since = "never" if age is None else f"{age:.1f}s ago"
            raise ExternalError(
                f"the embedded scrape is stale (last completed round {since}, "
                f"expected every {self.interval:g}s)",
                temporary=True,
            )


def _check_numbers(text: str) -> None:
    """Refuse number tokens no float64 needs: the parser would read a 401-digit value as +Inf
    (or fail converting it) where Prometheus fails the scrape as out of range."""
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        rest = line[line.rfind("}") + 1 :] if "}" in line else line.partition(" ")[2]
        if any(len(token) > MAX_NUMBER_CHARS for token in rest.split()):
            raise ScrapeFailed(f"sample value out of range (over {MAX_NUMBER_CHARS} characters)")


def _value(raw: float | int) -> float:
    """A sample value as Prometheus reads it: a float64, or the scrape fails."""
    try:
        value = float(raw)
    except OverflowError as e:
        raise ScrapeFailed(f"sample value out of range ({str(raw)[:20]}…)") from e
    if math.isinf(value) and isinstance(raw, int):
        raise ScrapeFailed("sample value out of range")
    return value

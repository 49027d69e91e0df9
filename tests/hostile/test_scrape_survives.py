"""The embedded scraper meets hostile expositions: the target is marked down with the reason, the
poller keeps going, and a scrape that stopped advancing is refused as stale (the gate then says
inconclusive) instead of being read as if it were current."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from trainmaster.adapters.scrape import ScrapeMetrics
from trainmaster.errors import ExternalError
from trainmaster.gates.promql import Matcher

HUGE = "9" * 401  # float() of it overflows; Prometheus refuses the scrape ("value out of range")


class _Exposition:
    """A real /metrics endpoint on 127.0.0.1 whose body the test changes."""

    def __init__(self, body: str) -> None:
        self.body = body
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data = owner.body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/metrics"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _up(source: ScrapeMetrics, at: float) -> float | None:
    [(_, track)] = source.store.select([Matcher("__name__", "=", "up")])
    return track.latest(at)


@pytest.mark.parametrize(
    "body",
    [
        f"requests_total {HUGE}\n",
        "requests_total " + "9" * 4301 + "\n",
        'requests_total{a="b"\n',
        "\x00\xff garbage {{{\n",
        "requests_total not-a-number\n",
    ],
)
def test_a_bad_exposition_marks_the_target_down_with_the_reason(body: str) -> None:
    target = _Exposition(f"good_total 1\n{body}")
    source = ScrapeMetrics(lambda: [target.url], job="svc")
    try:
        source.scrape(now=100.0)
        assert _up(source, 100.0) == 0.0
        assert source.down[target.url]
        assert not source.store.select([Matcher("__name__", "=", "good_total")])  # all or nothing
        target.body = "good_total 2\n"
        source.scrape(now=101.0)
        assert _up(source, 101.0) == 1.0
        assert target.url not in source.down
    finally:
        source.close()
        target.close()


def test_the_poller_survives_a_401_digit_value_and_keeps_scraping() -> None:
    target = _Exposition(f"requests_total {HUGE}\n")
    source = ScrapeMetrics(lambda: [target.url], job="svc", interval=0.02)
    source.start()
    try:
        _wait(lambda: target.url in source.down)
        assert "out of range" in source.down[target.url]
        target.body = "requests_total 7\n"
        _wait(lambda: bool(source.store.select([Matcher("__name__", "=", "requests_total")])))
        now = time.time()
        [series] = source.query_range(
            "requests_total", _at(now - 1), _at(now), timedelta(seconds=1)
        )
        assert series.points[-1][1] == 7.0
    finally:
        source.close()
        target.close()


def test_a_poller_that_stopped_advancing_is_stale_not_frozen_data() -> None:
    target = _Exposition("requests_total 3\n")
    moments = iter(range(10_000))
    source = ScrapeMetrics(lambda: [target.url], job="svc", interval=0.02, timeout=0.05)
    source.start()
    try:
        _wait(lambda: bool(source.store.select([Matcher("__name__", "=", "requests_total")])))
        now = time.time()
        source.query_range("requests_total", _at(now - 1), _at(now), timedelta(seconds=1))
        source.urls = lambda: _hang(moments)  # the next round never finishes
        time.sleep(max(source.stale_after, 0.1) + 0.3)
        with pytest.raises(ExternalError, match="stale") as info:
            source.query_range("requests_total", _at(now - 1), _at(now), timedelta(seconds=1))
        assert info.value.temporary
    finally:
        source.urls = lambda: []
        source.close()
        target.close()


def test_a_gate_reading_a_stale_scrape_is_inconclusive() -> None:
    from trainmaster.config import parse_policy
    from trainmaster.config.seed import seed_policy_text
    from trainmaster.gates.service import evaluate_stage
    from trainmaster.gates.verdict import Verdict

    policy = parse_policy(
        seed_policy_text().replace("metrics: prometheus ", "metrics: scrape     "), "p.yaml"
    )
    target = _Exposition("requests_total 3\n")
    source = ScrapeMetrics(lambda: [target.url], job="svc", interval=0.02, timeout=0.05)
    source.start()
    try:
        _wait(lambda: source.last_round is not None)
        source.urls = lambda: _hang(iter(()))
        time.sleep(source.stale_after + 0.3)
        report = evaluate_stage(
            policy, "prod", metrics=source, at=_at(time.time()), only=["error-rate"]
        )
        [signal] = report.signals
        assert signal.verdict is Verdict.INCONCLUSIVE
        assert "stale" in signal.reason
    finally:
        source.urls = lambda: []
        source.close()
        target.close()


def _hang(moments: object) -> list[str]:
    time.sleep(2)
    return []


def _wait(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached")


def _at(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)

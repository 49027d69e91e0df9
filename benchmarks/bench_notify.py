"""Notify: what the outbox costs an audit append, and delivery against a bare HTTP post.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_notify.py [--n 400]

On a temporary SQLite store: N audit appends of an action that causes nothing (most actions)
and of one that causes a notification (`governance.drift`: compose, route, insert), each with and
without the outbox writer installed; then N signed-webhook deliveries through the outbox to a
loopback receiver against N bare posts of the same bodies on one httpx client (the floor).
Ratios are within this run; the medians of interleaved rounds are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from tests.notify.conftest import policy_with, webhook_targets
from tests.notify.receiver import receiver

from trainmaster.audit.log import append_event
from trainmaster.config import parse_policy
from trainmaster.notify.deliver import Deliverer
from trainmaster.notify.hook import install, uninstall
from trainmaster.notify.outbox import enqueue
from trainmaster.notify.samples import sample_events
from trainmaster.store import Store, open_store


def appends(store: Store, action: str, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        with store.transaction() as session:
            append_event(
                session, actor="bench", action=action, target="acme/x", payload={"repos": [f"r{i}"]}
            )
    return time.perf_counter() - start


def compare(store: Store, action: str, n: int, hook: Callable[[], object]) -> tuple[float, float]:
    """Medians of 6 rounds each, interleaved A B B A so load and the table's growth hit both."""
    bare: list[float] = []
    hooked: list[float] = []
    for order in ("AB", "BA", "AB"):
        for side in order:
            if side == "B":
                hook()
                hooked.append(appends(store, action, n))
                uninstall()
            else:
                bare.append(appends(store, action, n))
    return statistics.median(bare), statistics.median(hooked)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    n = parser.parse_args().n
    os.environ["OPS_HOOK_SECRET"] = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as folder, receiver() as inbox:
        path = Path(folder) / "trainmaster.yaml"
        path.write_text(policy_with(webhook_targets(inbox.url)))
        policy = parse_policy(path.read_text(), str(path))
        store = open_store(f"sqlite:///{folder}/state.db", Path(folder))
        for action in ("approve", "governance.drift"):
            bare, hooked = compare(store, action, n, lambda: install(policy, Path(folder)))
            rows.append(
                (f"audit append `{action}` with the writer / without", hooked / n, bare / n)
            )
        event = sample_events(policy, datetime.now(UTC))[2]
        bodies = []
        with store.transaction() as session:
            for i in range(n):
                copy = {**event, "id": f"evt_bench_{i}"}
                enqueue(session, f"msg_bench_{i}", "ops-hook", copy, i, datetime.now(UTC))
                bodies.append(copy)
        start = time.perf_counter()
        report = Deliverer(policy, path, store).run(within=600, limit=n)
        outbox = time.perf_counter() - start
        assert len(report.sent) == n, report.as_dict()
        start = time.perf_counter()
        with httpx.Client() as client:  # the floor: the same posts, no outbox, no signing
            for body in bodies:
                client.post(inbox.url, json=body, timeout=5).raise_for_status()
        floor = time.perf_counter() - start
        rows.append(
            (
                "signed delivery through the outbox / bare posts on one httpx client",
                outbox / n,
                floor / n,
            )
        )
        store.dispose()
    print(f"| measurement (n={n}) | ms each | baseline ms each | ratio |")
    print("|:---|---:|---:|---:|")
    for name, value, base in rows:
        print(f"| {name} | {value * 1000:.2f} | {base * 1000:.2f} | {value / base:.2f} |")


if __name__ == "__main__":
    main()

"""Webhook ingest under load (issue 18): `trainmaster serve --no-jobs` as its own process on
PostgreSQL (or SQLite) and a load generator in this one. Each request is a real, signed GitHub
`pull_request.opened` example payload (about 25 kB) with a new delivery id. The server verifies
it, dedupes it, stores it with its job and replies 202. Reported: the throughput with
CONNECTIONS closed-loop clients, then the client latency (p50/p99) at a paced RATE per second.

Usage: PYTHONPATH=. .venv/bin/python benchmarks/bench_webhooks.py [postgresql|sqlite ...]"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from tests.github_app.conftest import SECRET, example, signed
from tests.servers import free_port, postgres_server
from tests.train.fakes import make_repo

from trainmaster.config.seed import seed_policy_text
from trainmaster.store import open_store

CONNECTIONS = 16
REQUESTS = 4000
RATE = 500  # per second, paced
SECONDS = 10


def cpu_ms(pid: int) -> float:
    """User + system CPU a process has used (Linux /proc), in ms: what each request costs the
    server, whatever else shares the cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


SERVER: dict[str, int] = {}


@contextmanager
def server(kind: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="tm-bench-hooks-") as tmp, _url(kind, tmp) as url:
        path = Path(tmp)
        make_repo(path, ["feat: one (#1)"])
        text = seed_policy_text("acme", "maestro").replace("  forge: github", "  forge: none")
        (path / "trainmaster.yaml").write_text(text.replace("sqlite:///.trainmaster/state.db", url))
        open_store(url, path, upgrade=True).dispose()
        env = {**os.environ, "TRAINMASTER_SESSION_SECRET": "x" * 40,
               "GITHUB_WEBHOOK_SECRET": SECRET}  # fmt: skip
        port = free_port()
        exe = str(Path(sys.executable).with_name("trainmaster"))
        process = subprocess.Popen([exe, "serve", "--port", str(port), "--no-jobs"], cwd=path,
                                   env=env, stdout=subprocess.DEVNULL)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        SERVER["pid"] = process.pid
        try:
            _wait(base)
            yield base
        finally:
            process.terminate()
            process.wait()


@contextmanager
def _url(kind: str, tmp: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp}/state.db"
        return
    with postgres_server() as url:
        yield url


def _wait(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/healthz").raise_for_status()
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("trainmaster serve did not start")


BODY = json.dumps(example("pull_request", "opened")).encode()
HEADERS = {"X-GitHub-Event": "pull_request", "X-Hub-Signature-256": signed(BODY),
           "Content-Type": "application/json"}  # fmt: skip


def send(client: httpx.Client) -> tuple[float, int]:
    began = time.perf_counter()
    reply = client.post("/webhooks/github", content=BODY,
                        headers={**HEADERS, "X-GitHub-Delivery": str(uuid.uuid4())})  # fmt: skip
    return (time.perf_counter() - began) * 1000, reply.status_code


def health(client: httpx.Client) -> tuple[float, int]:
    """The baseline: the same server, middleware and connections, no webhook work."""
    began = time.perf_counter()
    reply = client.get("/healthz")
    return (time.perf_counter() - began) * 1000, 202 if reply.status_code == 200 else 500


def closed_loop(base: str, request: Any = send) -> tuple[float, list[float], list[int]]:
    latencies: list[float] = []
    codes: list[int] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(n):
                ms, code = request(client)
                with lock:
                    latencies.append(ms)
                    codes.append(code)

    threads = [threading.Thread(target=work, args=(REQUESTS // CONNECTIONS,))
               for _ in range(CONNECTIONS)]  # fmt: skip
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - began, latencies, codes


def paced(base: str) -> tuple[list[float], list[int], float]:
    """RATE requests per second for SECONDS, each sent at its slot by one of CONNECTIONS
    senders; latency counted from the send."""
    latencies: list[float] = []
    codes: list[int] = []
    lock = threading.Lock()
    total = RATE * SECONDS
    start = time.perf_counter() + 0.2

    def work(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            for n in range(offset, total, CONNECTIONS):
                wait = start + n / RATE - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                ms, code = send(client)
                with lock:
                    latencies.append(ms)
                    codes.append(code)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, codes, time.perf_counter() - start


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(kind: str) -> None:
    with server(kind) as base:
        with httpx.Client(base_url=base) as client:
            for _ in range(50):  # warm: imports, the connection pool
                send(client)
        for label, request in (("GET /healthz (baseline)", health), ("webhooks", send)):
            before = cpu_ms(SERVER["pid"])
            wall, latencies, codes = closed_loop(base, request)
            per_request = (cpu_ms(SERVER["pid"]) - before) / len(codes)
            bad = sum(1 for c in codes if c != 202)
            print(f"| {kind} | {label}, closed loop, {CONNECTIONS} connections "
                  f"| {len(codes) / wall:.0f}/s | {pct(latencies, 0.5):.1f} "
                  f"| {pct(latencies, 0.99):.1f} | {bad} | {per_request:.2f} |")  # fmt: skip
        latencies, codes, wall = paced(base)
        bad = sum(1 for c in codes if c != 202)
        print(f"| {kind} | webhooks, paced at {RATE}/s for {SECONDS} s | {len(codes) / wall:.0f}/s "
              f"| {pct(latencies, 0.5):.1f} | {pct(latencies, 0.99):.1f} | {bad} | |")  # fmt: skip


if __name__ == "__main__":
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| store | load | achieved | p50 ms | p99 ms | non-202 | server CPU ms/request |")
    print("|:---|:---|---:|---:|---:|---:|---:|")
    for kind in sys.argv[1:] or ["postgresql"]:
        measure(kind)

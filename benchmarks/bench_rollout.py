"""Rollout speed: the local target's undo (warm colour vs a cold start), the proxy's overhead,
switches under load, and Argo Rollouts operations through lightkube against the emulator.

Usage: PYTHONPATH=. .venv/bin/python benchmarks/bench_rollout.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from tests.adapters.local.test_local_cluster import PROD, V1, V2, V3, local_policy_text
from tests.emulators.kubernetes.fixtures import GOOD, NEXT, Cluster
from tests.emulators.kubernetes.server import KubeEmulator

from trainmaster.adapters.kubernetes.api import Kube
from trainmaster.adapters.kubernetes.rollouts import ArgoRolloutsCluster
from trainmaster.adapters.local.cluster import LocalCluster
from trainmaster.config import parse_policy
from trainmaster.rollout.port import Target


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def row(name: str, samples: list[float]) -> None:
    q = statistics.quantiles(samples, n=20)
    print(f"| {name} | {statistics.median(samples):.1f} | {q[18]:.1f} | {len(samples)} |")


def local_undo(base: Path) -> None:
    cluster = LocalCluster(parse_policy(local_policy_text()), base)
    for image in (V1, V2, V3):
        cluster.register_artifact(image, base, image[-3:])
    try:
        cluster.deploy(PROD, V1)
        cluster.deploy(PROD, V2)
        cluster.promote(PROD)
        warm: list[float] = []
        for _ in range(20):
            warm += timed(lambda: cluster.undo(PROD), 1)
            cluster.pin(PROD, V2)
        row("local undo, warm colour (health check + switch)", warm)
        cold = []
        for i in range(10):  # the previous colour gone: undo starts a process, health, switch
            slot = cluster._slots[("maestro", "maestro")]
            if slot.previous is not None:
                slot.previous.stop()
                slot.previous = None
            cold += timed(lambda: cluster.undo(PROD), 1)
            cluster.pin(PROD, V2 if i % 2 == 0 else V1)
        row("local undo, cold (start + health check + switch)", cold)
        proxy_overhead(cluster)
        under_load(cluster)
    finally:
        cluster.close()


def proxy_overhead(cluster: LocalCluster) -> None:
    slot = cluster._slots[("maestro", "maestro")]
    assert slot.active is not None
    with httpx.Client() as client:
        direct = timed(lambda: client.get(slot.active.url if slot.active else ""), 500)
        proxied = timed(lambda: client.get(slot.proxy.url), 500)
    row("GET direct to the release", direct)
    row("GET through the blue/green proxy", proxied)


def under_load(cluster: LocalCluster) -> None:
    url = cluster.endpoints(PROD).active or ""
    stop, counts = threading.Event(), {"ok": 0, "failed": 0}

    def load() -> None:
        with httpx.Client(timeout=5) as client:
            while not stop.is_set():
                try:
                    ok = client.get(url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                counts["ok" if ok else "failed"] += 1

    workers = [threading.Thread(target=load) for _ in range(4)]
    for w in workers:
        w.start()
    switches = 0
    started = time.perf_counter()
    while time.perf_counter() - started < 5:
        cluster.undo(PROD)
        cluster.pin(PROD, V2 if cluster.status(PROD).stable == V1 else V1)
        switches += 2
    stop.set()
    for w in workers:
        w.join()
    print(f"\nunder load (4 clients, 5 s): {switches} switches, {counts['ok']} requests ok, "
          f"{counts['failed']} failed")  # fmt: skip


def argo(base: Path) -> None:
    emulator = KubeEmulator()
    emulator.start()
    kubeconfig = emulator.write_kubeconfig(base / "kubeconfig")
    Cluster(emulator, kubeconfig).rollout("maestro")
    cluster = ArgoRolloutsCluster(Kube(str(kubeconfig)))
    target = Target("prod", "maestro", "maestro")
    try:
        images = [NEXT, GOOD]
        deploys, promotes, undos = [], [], []
        for i in range(30):
            deploys += timed(lambda i=i: cluster.deploy(target, images[i % 2]), 1)  # type: ignore[misc]
            promotes += timed(lambda: cluster.promote(target), 1)
        for _ in range(30):
            undos += timed(lambda: cluster.undo(target), 1)
            cluster.promote(target, full=True)
        row("Argo: deploy (GET, PUT, wait observed)", deploys)
        row("Argo: promote (GET, PATCH /status)", promotes)
        row("Argo: undo and go live (GET, LIST, JSON PATCH, wait, PATCH /status)", undos)
    finally:
        emulator.stop()


def main() -> None:
    print("| operation | median ms | p95 ms | runs |\n|:---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        argo(base)
        local_undo(base)
    sys.stdout.flush()


if __name__ == "__main__":
    main()

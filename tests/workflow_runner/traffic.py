"""Golden signals of the emulated cluster's pods, written into a real Prometheus as
kube-prometheus would scrape them, while a workflow runs.

Each second, for every rollout: the pods of the active colour in production take full traffic;
every other pod (stage, a preview colour) the light traffic of smoke and verification runs. What
a pod answers depends on its image, a build stand-in's tar, whose `behaviour` file says `good`,
`bad` (fails in production) or `leaky` (fails a fifth of the requests under full traffic).
Series carry `job` (the service), `namespace` and `pod="<rollout>-<pod-template-hash>-<suffix>"`
so colour-aware queries can pick one colour. Samples reach Prometheus through its remote-write
receiver (protobuf, snappy framing written here: literal blocks only, which the format allows).
"""

from __future__ import annotations

import struct
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.emulators.kubernetes.server import KubeEmulator

FULL_RPS, LIGHT_RPS = 20.0, 2.0  # per pod
PODS = ("x7k2q", "m4p9z")  # two replicas per colour
# Error ratio of a pod by its image's behaviour, (in production, under full traffic) → ratio:
# `bad` fails every request in production (a setting only prod has), whichever colour;
# `leaky` fails a fifth of the requests under full traffic only.
ERRORS: dict[str, Callable[[bool, bool], float]] = {
    "good": lambda _prod, _full: 0.0,
    "bad": lambda prod, _full: 1.0 if prod else 0.0,
    "leaky": lambda _prod, full: 0.2 if full else 0.0,
}


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def write_request(series: list[tuple[dict[str, str], float, int]]) -> bytes:
    """A remote-write WriteRequest: (labels with __name__, value, timestamp in ms) per series."""
    body = b""
    for labels, value, ms in series:
        encoded = b"".join(
            _field(1, _field(1, k.encode()) + _field(2, v.encode()))
            for k, v in sorted(labels.items())
        )
        sample = b"\x09" + struct.pack("<d", value) + b"\x10" + _varint(ms)
        body += _field(1, encoded + _field(2, sample))
    return body


def snappy_literal(data: bytes) -> bytes:
    """Snappy block format with only literal elements (valid input for any decoder)."""
    out = bytearray(_varint(len(data)))
    for start in range(0, len(data), 65536):
        chunk = data[start : start + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2]) + n.to_bytes(2, "little")
        out += chunk
    return bytes(out)


def behaviour_of(registry: Path, image: str) -> str:
    """What the image does: its `behaviour` file (the build stand-in's tar, by digest)."""
    digest = image.rsplit("@sha256:", 1)[-1]
    path = registry / f"{digest}.tar"
    if not path.exists():
        return "good"  # an image built outside the runner (the baseline)
    with tarfile.open(path) as tar:
        member = tar.extractfile("behaviour")
        return member.read().decode().strip() if member else "good"


@dataclass
class Feeder:
    """Counts requests per pod and writes them every `every` seconds until stopped."""

    prometheus: str
    cluster: KubeEmulator
    rollouts: list[tuple[str, str]]  # (namespace, name)
    behaviour: Callable[[str], str]
    production: set[str] = field(default_factory=set)  # namespaces with production traffic
    every: float = 1.0
    counts: dict[tuple[str, str, str], float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="traffic", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(10)

    def _loop(self) -> None:
        with httpx.Client(trust_env=False, timeout=5) as client:
            while not self._stop.is_set():
                series = self.tick(time.time())
                body = snappy_literal(write_request(series))
                reply = client.post(
                    f"{self.prometheus}/api/v1/write",
                    content=body,
                    headers={
                        "Content-Encoding": "snappy",
                        "Content-Type": "application/x-protobuf",
                        "X-Prometheus-Remote-Write-Version": "0.1.0",
                    },
                )
                reply.raise_for_status()
                self._stop.wait(self.every)

    def tick(self, now: float) -> list[tuple[dict[str, str], float, int]]:
        """One scrape: every pod's counters after `every` more seconds of its traffic."""
        series: list[tuple[dict[str, str], float, int]] = []
        for namespace, name in self.rollouts:
            for pod_hash, image, active in self._colours(namespace, name):
                prod = namespace in self.production
                full = active and prod
                ratio = ERRORS[self.behaviour(image)](prod, full)
                rps = FULL_RPS if full else LIGHT_RPS
                for suffix in PODS:
                    labels = {"job": name, "namespace": namespace}
                    labels["pod"] = f"{name}-{pod_hash}-{suffix}"
                    series += self._count(labels, rps * self.every, ratio, now)
        return series

    def _count(
        self, labels: dict[str, str], requests: float, ratio: float, now: float
    ) -> list[tuple[dict[str, str], float, int]]:
        out = []
        for code, share in (("200", 1 - ratio), ("500", ratio)):
            key = (labels["namespace"], labels["pod"], code)
            self.counts[key] = self.counts.get(key, 0.0) + requests * share
            series = {"__name__": "http_requests_total", **labels, "code": code}
            out.append((series, self.counts[key], int(now * 1000)))
        return out

    def _colours(self, namespace: str, name: str) -> list[tuple[str, str, bool]]:
        """(pod hash, image, takes full traffic) of the active and the preview colour."""
        rollout = self.cluster.rollout(namespace, name)
        status = rollout.get("status", {}).get("blueGreen", {})
        active, preview = status.get("activeSelector"), status.get("previewSelector")
        images = {
            rs["metadata"]["labels"].get("rollouts-pod-template-hash"): rs["spec"]["template"][
                "spec"
            ]["containers"][0]["image"]
            for rs in self.cluster.replicasets(namespace)
        }
        colours = [(active, images.get(active, ""), True)] if active else []
        if preview and preview != active:
            colours.append((preview, images.get(preview, ""), False))
        return colours

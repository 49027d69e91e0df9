"""Synthetic golden signals for one service, as a scrape of it would record them.

`Traffic` describes the service as functions of time (requests per second, error ratio, p95
latency, CPU cores in use); `record` turns it into counter, histogram and gauge samples at the
scrape interval, with the conventional metric names the default policy queries (CPU as cAdvisor
reports it: per container, for the pause container and for the whole pod). Used by the gate
tests and by the benchmark's scenario corpus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.prometheus_server import Samples

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0)
FAST = 0.08  # latency of the fast 90 % of requests
SLOW_SHARE = 0.1  # the rest take the signal's latency, so p95 lands in its bucket

Curve = Callable[[float], float]


def constant(value: float) -> Curve:
    return lambda _t: value


@dataclass
class Traffic:
    service: str
    namespace: str = "maestro"
    rps: Curve = field(default_factory=lambda: constant(20.0))
    error_ratio: Curve = field(default_factory=lambda: constant(0.0))
    latency: Curve = field(default_factory=lambda: constant(0.3))
    cpu: Curve = field(default_factory=lambda: constant(0.3))  # cores; the limit is 1 core
    up: Callable[[float], bool] = field(default_factory=lambda: lambda _t: True)  # scraped?
    pod_hash: str = "7d4b9"  # the rollouts-pod-template-hash of its one pod


def record(
    samples: Samples, traffic: Traffic, start: float, end: float, every: float = 15.0
) -> None:
    """Integrate the curves from `start` to `end` and add one scrape every `every` seconds."""
    pod = {"namespace": traffic.namespace, "pod": f"{traffic.service}-{traffic.pod_hash}-x1"}
    job = {"job": traffic.service, **pod}  # kube-prometheus adds the pod to the app's series
    ok = err = cpu = 0.0
    buckets = dict.fromkeys(BUCKETS, 0.0)
    total = 0.0
    t = start
    while t <= end + 1e-9:
        if t > start:
            requests = traffic.rps(t) * every
            errors = requests * traffic.error_ratio(t)
            ok, err = ok + requests - errors, err + errors
            slow = traffic.latency(t)
            for le in BUCKETS:
                share = (1 - SLOW_SHARE if le >= FAST else 0.0) + (
                    SLOW_SHARE if slow <= le else 0.0
                )
                buckets[le] += requests * share
            total += requests
            cpu += traffic.cpu(t) * every
        if traffic.up(t):
            samples.counter("http_requests_total", {**job, "code": "200"}, t, ok)
            if err > 0:  # like prometheus_client: a labelled child exists once it is used
                samples.counter("http_requests_total", {**job, "code": "500"}, t, err)
            samples.histogram("http_request_duration_seconds", job, t, buckets, total)
            _cadvisor(samples, pod, t, cpu)
            app = {**pod, "container": "app", "resource": "cpu"}
            samples.gauge("kube_pod_container_resource_limits", app, t, 1.0)
        t += every


PAUSE = 0.002  # cores the pause container burns


def _cadvisor(samples: Samples, pod: dict[str, str], t: float, cpu: float) -> None:
    """CPU seconds as cAdvisor reports a one-container pod: the container, the pause container
    (`container="POD"`) and the pod's own cgroup (no container label) holding their sum."""
    name = "container_cpu_usage_seconds_total"
    pause = PAUSE * (t - 1_700_000_000)  # a counter: grows from a fixed origin
    samples.counter(name, {**pod, "container": "app"}, t, cpu)
    samples.counter(name, {**pod, "container": "POD"}, t, pause)
    samples.counter(name, pod, t, cpu + pause)

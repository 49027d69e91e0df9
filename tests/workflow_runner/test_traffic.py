"""The pods' golden signals follow the cluster: per colour, per behaviour, per traffic."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.emulators.kubernetes.fixtures import blue_green_rollout
from tests.emulators.kubernetes.server import KubeEmulator
from tests.workflow_runner.traffic import Feeder, snappy_literal, write_request

OLD = "ghcr.io/acme/maestro@sha256:" + "a" * 64
NEW = "ghcr.io/acme/maestro@sha256:" + "b" * 64


@pytest.fixture
def kube() -> Iterator[KubeEmulator]:
    emulator = KubeEmulator()
    yield emulator


def _deploy(kube: KubeEmulator, namespace: str, image: str, auto: bool) -> None:
    kube.handle("POST", "/api/v1/namespaces", "application/json",
                json.dumps({"metadata": {"name": namespace}}).encode())  # fmt: skip
    path = f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/rollouts"
    body = blue_green_rollout("maestro", OLD, auto=auto)
    code, _ = kube.handle("POST", path, "application/json", json.dumps(body).encode())
    assert code == 201
    rollout = kube.rollout(namespace, "maestro")
    rollout["spec"]["template"]["spec"]["containers"][0]["image"] = image
    code, _ = kube.handle(
        "PUT", f"{path}/maestro", "application/json", json.dumps(rollout).encode()
    )
    assert code == 200


def _errors(series: list[tuple[dict[str, str], float, int]]) -> dict[str, float]:
    return {s["pod"]: v for s, v, _ in series if s["code"] == "500"}


@pytest.mark.parametrize(
    ("behaviour", "preview_errors", "active_errors"),
    [("good", 0.0, 0.0), ("bad", 2.0, 0.0), ("leaky", 0.0, 0.0)],
)
def test_the_preview_colour_gets_light_traffic_and_its_own_pods(
    kube: KubeEmulator, behaviour: str, preview_errors: float, active_errors: float
) -> None:
    _deploy(kube, "maestro", NEW, auto=False)  # prod: NEW is the paused preview colour
    status = kube.rollout("maestro", "maestro")["status"]["blueGreen"]
    active, preview = status["activeSelector"], status["previewSelector"]
    assert active != preview
    feeder = Feeder("", kube, [("maestro", "maestro")],
                    lambda image: behaviour if image == NEW else "good", production={"maestro"})  # fmt: skip
    series = feeder.tick(1000.0)
    pods = {s["pod"] for s, _, _ in series}
    assert pods == {f"maestro-{h}-{p}" for h in (active, preview) for p in ("x7k2q", "m4p9z")}
    errors = _errors(series)
    assert {errors[f"maestro-{preview}-x7k2q"], errors[f"maestro-{preview}-m4p9z"]} == {
        preview_errors
    }
    assert errors[f"maestro-{active}-x7k2q"] == active_errors
    totals = {s["pod"]: v for s, v, _ in series if s["code"] == "200"}
    assert totals[f"maestro-{active}-x7k2q"] == 20.0  # full traffic, one second
    assert totals[f"maestro-{preview}-x7k2q"] + errors[f"maestro-{preview}-x7k2q"] == 2.0


def test_leaky_fails_under_full_traffic_and_counters_only_grow(kube: KubeEmulator) -> None:
    _deploy(kube, "maestro", NEW, auto=True)  # promoted at once: NEW takes the traffic
    feeder = Feeder("", kube, [("maestro", "maestro")], lambda _i: "leaky", production={"maestro"})
    first, second = _errors(feeder.tick(1.0)), _errors(feeder.tick(2.0))
    assert set(first.values()) == {4.0}  # a fifth of 20 requests
    assert set(second.values()) == {8.0}
    staging = Feeder("", kube, [("maestro", "maestro")], lambda _i: "leaky", production=set())
    assert set(_errors(staging.tick(1.0)).values()) == {0.0}  # light traffic holds


def test_the_wire_format_is_a_snappy_framed_write_request() -> None:
    body = write_request([({"__name__": "up", "job": "a"}, 1.0, 5)])
    framed = snappy_literal(body)
    assert framed[0] == len(body)  # varint length, then one literal element
    assert framed[1] == (len(body) - 1) << 2 and framed[2:] == body
    big = snappy_literal(bytes(70000))
    assert big[:3] == bytes([0xF0, 0xA2, 0x04])  # 70000 as a varint

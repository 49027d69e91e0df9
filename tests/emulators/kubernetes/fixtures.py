"""The `k8s` fixture: a running emulator, a kubeconfig pointing at it, and seeding helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulators.kubernetes.server import KubeEmulator

GOOD = "ghcr.io/acme/maestro@sha256:" + "a" * 64
NEXT = "ghcr.io/acme/maestro@sha256:" + "b" * 64
THIRD = "ghcr.io/acme/maestro@sha256:" + "c" * 64


SIDECAR = {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.0"}


def blue_green_rollout(
    name: str,
    image: str,
    *,
    auto: bool = False,
    delay: int = 1800,
    sidecar_first: bool = False,
    post_analysis: bool = False,
    workload: str | None = None,
) -> Any:
    """A prod-shaped Rollout as a release engineer writes it: blue-green, manual promotion.
    `sidecar_first`: a mesh sidecar listed before the service's container; `post_analysis`: a
    post-promotion analysis; `workload`: the pod template comes from that Deployment."""
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": 2,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": image,
                            "ports": [{"containerPort": 8080, "name": "http"}],
                        }
                    ]
                },
            },
            "strategy": {
                "blueGreen": {
                    "activeService": f"{name}-active",
                    "previewService": f"{name}-preview",
                    "autoPromotionEnabled": auto,
                    "scaleDownDelaySeconds": delay,
                }
            },
        },
    }
    spec: Any = rollout["spec"]
    if sidecar_first:
        spec["template"]["spec"]["containers"].insert(0, dict(SIDECAR))
    if post_analysis:
        analysis = {"templates": [{"templateName": "error-rate"}]}
        spec["strategy"]["blueGreen"]["postPromotionAnalysis"] = analysis
    if workload:
        spec["workloadRef"] = {"apiVersion": "apps/v1", "kind": "Deployment", "name": workload}
        del spec["template"]
    return rollout


def deployment(name: str, image: str) -> Any:
    """The Deployment a workloadRef rollout takes its pod template from (scaled to zero)."""
    template = blue_green_rollout(name, image)["spec"]["template"]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": name}}, "template": template},
    }


class Cluster:
    def __init__(self, emulator: KubeEmulator, kubeconfig: Path) -> None:
        self.emulator, self.kubeconfig = emulator, kubeconfig

    def namespace(
        self, name: str, labels: dict[str, str] | None = None, **annotations: str
    ) -> None:
        meta: dict[str, Any] = {"name": name, "labels": labels or {}}
        if annotations:
            meta["annotations"] = annotations
        code, body = self.emulator.handle(
            "POST", "/api/v1/namespaces", "application/json", _json({"metadata": meta})
        )
        assert code in (201, 409), body

    def rollout(self, ns: str, name: str = "maestro", image: str = GOOD, **kw: Any) -> None:
        self.namespace(ns)
        path = f"/apis/argoproj.io/v1alpha1/namespaces/{ns}/rollouts"
        code, body = self.emulator.handle(
            "POST", path, "application/json", _json(blue_green_rollout(name, image, **kw))
        )
        assert code == 201, body
        self.emulator.requests.clear()

    def deployment(self, ns: str, name: str = "maestro", image: str = GOOD) -> None:
        self.namespace(ns)
        path = f"/apis/apps/v1/namespaces/{ns}/deployments"
        code, body = self.emulator.handle(
            "POST", path, "application/json", _json(deployment(name, image))
        )
        assert code == 201, body
        self.emulator.requests.clear()


def _json(obj: Any) -> bytes:
    import json

    return json.dumps(obj).encode()


@pytest.fixture
def k8s(tmp_path: Path) -> Iterator[Cluster]:
    emulator = KubeEmulator()
    emulator.start()
    kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    yield Cluster(emulator, kubeconfig)
    emulator.stop()

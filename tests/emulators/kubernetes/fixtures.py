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


def blue_green_rollout(name: str, image: str, *, auto: bool = False, delay: int = 1800) -> Any:
    """A prod-shaped Rollout as a release engineer writes it: blue-green, manual promotion."""
    return {
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

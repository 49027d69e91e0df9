"""The lightkube client, and its errors mapped to ours: the only module that touches lightkube."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from trainmaster.errors import ExternalError, TrainmasterError, UsageError

T = TypeVar("T")
Manifest = dict[str, Any]
RolloutKind = ("argoproj.io", "v1alpha1", "Rollout", "rollouts")


class NotFound(TrainmasterError):
    """The API answered 404 (namespace, object or subresource missing)."""


class Conflict(ExternalError):
    """The API answered 409: the object changed since it was read (callers retry with a fresh
    read, as the plugin's `set image` does: 5 attempts)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, temporary=True)


class Kube:
    """A thin typed wrapper: plain dicts in and out, trainmaster errors only."""

    def __init__(self, kubeconfig: str | None = None) -> None:
        from lightkube import Client, KubeConfig
        from lightkube.generic_resource import create_namespaced_resource

        try:
            # No explicit file: $KUBECONFIG, ~/.kube/config, or the in-cluster service account.
            config = KubeConfig.from_file(kubeconfig) if kubeconfig else KubeConfig.from_env()
        except Exception as e:  # lightkube raises several kinds for a bad or missing config
            where = kubeconfig or "$KUBECONFIG, ~/.kube/config or in-cluster"
            raise UsageError(f"cannot load a kubeconfig from {where}: {e}") from e
        single = config.get()
        self.server = single.cluster.server if single is not None else "?"
        self._client = Client(config, trust_env=False, field_manager="trainmaster")
        self._rollout = create_namespaced_resource(*RolloutKind)

    def call(self, what: str, fn: Callable[[], T]) -> T:
        import httpx2
        from lightkube import ApiError

        try:
            return fn()
        except ApiError as e:
            code = e.response.status_code if e.response is not None else 0
            message = f"{what}: {e.status.message or code}"
            if code == 404:
                raise NotFound(message) from e
            if code == 409:
                raise Conflict(f"{message} (changed concurrently; run the command again)") from e
            if code in (400, 403, 415, 422):
                raise ExternalError(
                    f"{what} refused by the API ({code}): {e.status.message}"
                ) from e
            raise ExternalError(message, temporary=code >= 500 or code == 429) from e
        except httpx2.HTTPError as e:
            raise ExternalError(
                f"Kubernetes API at {self.server} unreachable: {type(e).__name__}", temporary=True
            ) from e

    def get_rollout(self, namespace: str, name: str) -> Manifest:
        return _plain(
            self.call(
                f"get rollout {namespace}/{name}",
                lambda: self._client.get(self._rollout, name, namespace=namespace),
            )
        )

    def patch_rollout(
        self,
        namespace: str,
        name: str,
        body: Any,
        kind: Literal["merge", "json"],
        subresource: str | None = None,
    ) -> Manifest:
        from lightkube.types import PatchType

        res = self._rollout.Status if subresource == "status" else self._rollout
        ptype = PatchType.MERGE if kind == "merge" else PatchType.JSON
        return _plain(
            self.call(
                f"patch rollout {namespace}/{name}",
                lambda: self._client.patch(res, name, body, namespace=namespace, patch_type=ptype),
            )
        )

    def replace_rollout(self, obj: Manifest) -> Manifest:
        meta = obj["metadata"]
        where = f"update rollout {meta['namespace']}/{meta['name']}"
        rollout: Any = self._rollout(obj)  # type: ignore[call-overload]
        return _plain(self.call(where, lambda: self._client.replace(rollout)))

    def get_deployment(self, namespace: str, name: str) -> Manifest:
        from lightkube.resources.apps_v1 import Deployment

        where = f"get deployment {namespace}/{name}"
        return _plain(
            self.call(where, lambda: self._client.get(Deployment, name, namespace=namespace))
        )

    def patch_deployment(self, namespace: str, name: str, body: Any) -> Manifest:
        from lightkube.resources.apps_v1 import Deployment
        from lightkube.types import PatchType

        return _plain(
            self.call(
                f"patch deployment {namespace}/{name}",
                lambda: self._client.patch(
                    Deployment, name, body, namespace=namespace, patch_type=PatchType.JSON
                ),
            )
        )

    def replace_deployment(self, obj: Manifest) -> Manifest:
        from lightkube.resources.apps_v1 import Deployment

        meta = obj["metadata"]
        where = f"update deployment {meta['namespace']}/{meta['name']}"
        deployment: Any = Deployment.from_dict(obj)
        return _plain(self.call(where, lambda: self._client.replace(deployment)))

    def list_replicasets(self, namespace: str, selector: dict[str, str]) -> list[Manifest]:
        from lightkube.resources.apps_v1 import ReplicaSet

        return [
            _plain(rs)
            for rs in self.call(
                f"list replicasets in {namespace}",
                lambda: list(
                    self._client.list(
                        ReplicaSet, namespace=namespace, labels=dict(selector.items())
                    )
                ),
            )
        ]

    def get_namespace(self, name: str) -> Manifest:
        from lightkube.resources.core_v1 import Namespace

        return _plain(self.call(f"namespace {name}", lambda: self._client.get(Namespace, name)))

    def list_namespaces(self, selector: dict[str, str]) -> list[Manifest]:
        from lightkube.resources.core_v1 import Namespace

        return [
            _plain(ns)
            for ns in self.call(
                "list namespaces",
                lambda: list(self._client.list(Namespace, labels=dict(selector.items()))),
            )
        ]

    def create_namespace(self, obj: Manifest) -> Manifest:
        from lightkube.resources.core_v1 import Namespace

        name = obj["metadata"]["name"]
        namespace: Any = Namespace.from_dict(obj)
        return _plain(self.call(f"create namespace {name}", lambda: self._client.create(namespace)))

    def patch_namespace(self, name: str, body: Manifest) -> Manifest:
        from lightkube.resources.core_v1 import Namespace
        from lightkube.types import PatchType

        return _plain(
            self.call(
                f"patch namespace {name}",
                lambda: self._client.patch(Namespace, name, body, patch_type=PatchType.MERGE),
            )
        )

    def delete_namespace(self, name: str) -> None:
        from lightkube.resources.core_v1 import Namespace

        self.call(f"delete namespace {name}", lambda: self._client.delete(Namespace, name))

    def close(self) -> None:
        self._client.close()


def _plain(obj: Any) -> Manifest:
    """A lightkube object (model or generic dict) as the plain JSON the API sent."""
    data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    return data if isinstance(data, dict) else {}

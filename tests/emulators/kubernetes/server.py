"""The emulator: a real HTTP server on 127.0.0.1 speaking the Kubernetes REST API for namespaces,
ReplicaSets (apps/v1) and Rollouts (argoproj.io/v1alpha1, with the status subresource).

API-server rules it keeps: resourceVersion on every write and 409 on a stale one (an update of a
custom resource must carry one); writes to the main resource ignore status and writes to /status
ignore everything else; generation moves only with spec; strategic merge is refused (415) for
custom resources; every stored Rollout is validated against the Argo Rollouts CRD schema (422).
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from tests.emulators.kubernetes import controller
from tests.emulators.kubernetes.patches import (
    PatchError,
    json_patch,
    merge_patch,
    strategic_merge_patch,
)
from tests.emulators.kubernetes.schema import first_error, prune, rollout_validator

KINDS = {  # plural -> (group/version prefix, kind, custom resource?)
    "namespaces": ("api/v1", "Namespace", False),
    "replicasets": ("apis/apps/v1", "ReplicaSet", False),
    "deployments": ("apis/apps/v1", "Deployment", False),
    "rollouts": ("apis/argoproj.io/v1alpha1", "Rollout", True),
}
API_VERSION = {
    "namespaces": "v1",
    "replicasets": "apps/v1",
    "deployments": "apps/v1",
    "rollouts": "argoproj.io/v1alpha1",
}


def _check_deployment(obj: dict[str, Any]) -> None:
    """What the API server's apps/v1 validation requires of the fields the emulator reads."""
    spec = obj.get("spec") or {}
    if not (spec.get("selector") or {}).get("matchLabels"):
        raise ApiFailure(
            422, "Invalid", "Deployment.apps is invalid: spec.selector: Required value"
        )
    containers = (spec.get("template") or {}).get("spec", {}).get("containers") or []
    if not containers or not all(c.get("name") and c.get("image") for c in containers):
        raise ApiFailure(
            422,
            "Invalid",
            "Deployment.apps is invalid: spec.template.spec.containers: Required value",
        )


class ApiFailure(Exception):
    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message

    def status(self) -> dict[str, Any]:
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    content_type: str
    body: Any


def _selector_matches(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


class KubeEmulator:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.lock = threading.RLock()
        self._rv = itertools.count(100)
        self.validator = rollout_validator()
        self.status_subresource = True
        self.conflicts_to_inject = 0
        # True: the controller is behind; writes are stored but not reconciled (metadata.generation
        # moves, status.observedGeneration stays) until `reconcile` is called.
        self.controller_lag = False
        self.warnings: list[str] = []  # fields pruned from Rollouts (the Warning header's text)
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> str:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once, no 40 ms delayed ACK
            wbufsize = 64 * 1024

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                code, body = emulator.handle(
                    self.command, self.path, self.headers.get("Content-Type", ""), raw
                )
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self.url

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def write_kubeconfig(self, path: Path, url: str | None = None) -> Path:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "emu", "cluster": {"server": url or self.url}}],
            "users": [{"name": "emu", "user": {"token": "emulator-token"}}],
            "contexts": [{"name": "emu", "context": {"cluster": "emu", "user": "emu"}}],
            "current-context": "emu",
        }
        path.write_text(yaml.safe_dump(config))
        return path

    # --- requests --------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, ctype: str, raw: bytes) -> tuple[int, Any]:
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, ApiFailure(400, "BadRequest", "invalid JSON").status()
        with self.lock:
            self.requests.append(
                Recorded(method, parts.path, ctype.split(";", maxsplit=1)[0], body)
            )
            try:
                return self._route(method, parts.path, query, ctype.split(";", maxsplit=1)[0], body)
            except ApiFailure as e:
                return e.code, e.status()

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], ctype: str, body: Any
    ) -> tuple[int, Any]:
        segments = path.strip("/").split("/")
        plural, ns, name, sub = self._parse(segments)
        if name is None:
            if method == "GET":
                return 200, self._list(plural, ns, query.get("labelSelector", [""])[0])
            if method == "POST":
                return 201, self._create(plural, ns, body)
        elif method == "GET":
            return 200, self._get(plural, ns, name, sub)
        elif method in ("PUT", "PATCH"):
            return 200, self._update(method, plural, ns, name, sub, ctype, body)
        elif method == "DELETE":
            return 200, self._delete(plural, ns, name)
        raise ApiFailure(405, "MethodNotAllowed", f"{method} not allowed")

    def _parse(self, seg: list[str]) -> tuple[str, str, str | None, str | None]:
        if seg[:3] == ["api", "v1", "namespaces"]:
            if len(seg) <= 4:
                return "namespaces", "", seg[3] if len(seg) == 4 else None, None
            seg = ["apis", "core", "v1", *seg[2:]]
        if len(seg) >= 6 and seg[0] == "apis" and seg[3] == "namespaces":
            plural = seg[5]
            if plural in KINDS and f"apis/{seg[1]}/{seg[2]}" == KINDS[plural][0]:
                name = seg[6] if len(seg) > 6 else None
                sub = seg[7] if len(seg) > 7 else None
                if sub is not None and (
                    sub != "status" or plural != "rollouts" or not self.status_subresource
                ):
                    raise ApiFailure(
                        404, "NotFound", "the server could not find the requested resource"
                    )
                return plural, seg[4], name, sub
        raise ApiFailure(404, "NotFound", "the server could not find the requested resource")

    # --- verbs -----------------------------------------------------------------------------

    def _key(self, plural: str, ns: str, name: str) -> tuple[str, str, str]:
        return (plural, "" if plural == "namespaces" else ns, name)

    def _get(self, plural: str, ns: str, name: str, sub: str | None = None) -> dict[str, Any]:
        obj = self.objects.get(self._key(plural, ns, name))
        if obj is None:
            raise ApiFailure(
                404, "NotFound", f'{plural}.{KINDS[plural][0].split("/")[1]} "{name}" not found'
            )
        return copy.deepcopy(obj)

    def _list(self, plural: str, ns: str, selector: str) -> dict[str, Any]:
        items = [
            copy.deepcopy(o)
            for (p, n, _), o in sorted(self.objects.items())
            if p == plural
            and (plural == "namespaces" or n == ns)
            and _selector_matches(o["metadata"].get("labels") or {}, selector)
        ]
        kind = KINDS[plural][1] + "List"
        meta = {"resourceVersion": str(next(self._rv))}
        return {"apiVersion": API_VERSION[plural], "kind": kind, "metadata": meta, "items": items}

    def _create(self, plural: str, ns: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not body.get("metadata", {}).get("name"):
            raise ApiFailure(422, "Invalid", "metadata.name: Required value")
        name = body["metadata"]["name"]
        if plural != "namespaces" and self._key("namespaces", "", ns) not in self.objects:
            raise ApiFailure(404, "NotFound", f'namespaces "{ns}" not found')
        if self._key(plural, ns, name) in self.objects:
            raise ApiFailure(409, "AlreadyExists", f'{plural} "{name}" already exists')
        obj = copy.deepcopy(body)
        meta = obj["metadata"]
        meta.update(uid=str(uuid.uuid4()), creationTimestamp=controller.now(), generation=1)
        if plural != "namespaces":
            meta["namespace"] = ns
        else:
            obj["status"] = {"phase": "Active"}
        obj.setdefault("apiVersion", API_VERSION[plural])
        obj.setdefault("kind", KINDS[plural][1])
        if plural == "rollouts":
            obj.pop("status", None)
        return self._store(plural, ns, obj)

    def _update(
        self, method: str, plural: str, ns: str, name: str, sub: str | None, ctype: str, body: Any
    ) -> dict[str, Any]:
        old = self._get(plural, ns, name)
        if plural == "rollouts" and sub is None and method == "PUT" and self.conflicts_to_inject:
            self.conflicts_to_inject -= 1  # a concurrent writer got there first
            old["metadata"].setdefault("annotations", {})["emulator/touched"] = controller.now()
            self._store(plural, ns, old)
        if method == "PUT":
            new = copy.deepcopy(body)
            if KINDS[plural][2] and not (new or {}).get("metadata", {}).get("resourceVersion"):
                raise ApiFailure(
                    422, "Invalid", "metadata.resourceVersion: must be specified for an update"
                )
        else:
            new = self._patched(plural, old, ctype, body)
        return self._write(plural, ns, old, new, sub)

    def _patched(self, plural: str, old: dict[str, Any], ctype: str, body: Any) -> Any:
        try:
            if ctype == "application/merge-patch+json":
                return merge_patch(old, body)
            if ctype == "application/json-patch+json":
                return json_patch(old, body)
            if ctype == "application/strategic-merge-patch+json" and not KINDS[plural][2]:
                return strategic_merge_patch(old, body)
        except PatchError as e:
            raise ApiFailure(422, "Invalid", f"the patch cannot be applied: {e}") from e
        raise ApiFailure(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json (got {ctype})",
        )

    def _write(
        self, plural: str, ns: str, old: dict[str, Any], new: Any, sub: str | None
    ) -> dict[str, Any]:
        if not isinstance(new, dict):
            raise ApiFailure(422, "Invalid", "the object must be a JSON object")
        rv = (new.get("metadata") or {}).get("resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise ApiFailure(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {plural} "{old["metadata"]["name"]}": the object has been modified; please apply your changes to the latest version and try again',
            )
        if KINDS[plural][2] and self.status_subresource:  # v0.9: status written with spec
            if sub == "status":
                new = {**copy.deepcopy(old), "status": new.get("status") or {}}
            else:
                new["status"] = copy.deepcopy(old.get("status") or {})
        meta = new.setdefault("metadata", {})
        for field in ("name", "namespace", "uid", "creationTimestamp", "generation"):
            if field in old["metadata"]:
                meta[field] = old["metadata"][field]
        if new.get("spec") != old.get("spec"):
            meta["generation"] = old["metadata"].get("generation", 1) + 1
        return self._store(plural, ns, new)

    def _store(self, plural: str, ns: str, obj: dict[str, Any]) -> dict[str, Any]:
        if plural == "rollouts":
            self._validate(obj)  # what the client sent, before the controller touches it
            if not self.controller_lag:
                self._reconcile(ns, obj)
                self._validate(obj)
        if plural == "deployments":
            _check_deployment(obj)
        obj["metadata"]["resourceVersion"] = str(next(self._rv))
        self.objects[self._key(plural, ns, obj["metadata"]["name"])] = obj
        if plural == "deployments" and not self.controller_lag:
            self._reconcile_referrers(ns, obj["metadata"]["name"])
        return copy.deepcopy(obj)

    def _reconcile(self, ns: str, obj: dict[str, Any]) -> None:
        owned = [
            o
            for (p, n, _), o in self.objects.items()
            if p == "replicasets"
            and n == ns
            and any(
                r.get("uid") == obj["metadata"]["uid"]
                for r in o["metadata"].get("ownerReferences", [])
            )
        ]
        ref = obj["spec"].get("workloadRef") or {}
        workload = (
            self.objects.get(self._key("deployments", ns, ref.get("name", ""))) if ref else None
        )
        for rs in controller.reconcile(obj, copy.deepcopy(owned), copy.deepcopy(workload)):
            if rs["metadata"]["name"] not in {o["metadata"]["name"] for o in owned}:
                rs["metadata"]["uid"] = str(uuid.uuid4())
                rs["metadata"]["creationTimestamp"] = controller.now()
            rs["metadata"]["resourceVersion"] = str(next(self._rv))
            self.objects[self._key("replicasets", ns, rs["metadata"]["name"])] = rs

    def _reconcile_referrers(self, ns: str, deployment: str) -> None:
        """The controller watches referenced workloads: a Deployment's new template is a new
        revision of every Rollout whose workloadRef names it."""
        for (p, n, _), o in list(self.objects.items()):
            ref = o.get("spec", {}).get("workloadRef") or {}
            if p == "rollouts" and n == ns and ref.get("name") == deployment:
                self._store("rollouts", ns, copy.deepcopy(o))

    def _validate(self, obj: dict[str, Any]) -> None:
        self.warnings += prune(obj, self.validator.schema)
        message = first_error(self.validator, obj)
        if message is not None:
            raise ApiFailure(422, "Invalid", f"Rollout.argoproj.io is invalid: {message}")

    def _delete(self, plural: str, ns: str, name: str) -> dict[str, Any]:
        obj = self._get(plural, ns, name)
        del self.objects[self._key(plural, ns, name)]
        if plural == "namespaces":
            for key in [k for k in self.objects if k[1] == name]:
                del self.objects[key]
            obj["status"] = {"phase": "Terminating"}
        return obj

    # --- for tests -------------------------------------------------------------------------

    def reconcile(self, ns: str, name: str) -> None:
        """The lagging controller catches up with the rollout's current spec."""
        with self.lock:
            lag, self.controller_lag = self.controller_lag, False
            try:
                self._store("rollouts", ns, self._get("rollouts", ns, name))
            finally:
                self.controller_lag = lag

    def finish_analysis(self, ns: str, name: str, phase: str = "Successful") -> None:
        """The post-promotion AnalysisRun ends (`Successful`: the new ReplicaSet becomes stable)."""
        with self.lock:
            obj = self._get("rollouts", ns, name)
            run = {"name": f"{name}-post-promotion", "status": phase}
            obj["status"].setdefault("blueGreen", {})["postPromotionAnalysisRunStatus"] = run
            self._store("rollouts", ns, obj)

    def deployment(self, ns: str, name: str) -> dict[str, Any]:
        with self.lock:
            return self._get("deployments", ns, name)

    def rollout(self, ns: str, name: str) -> dict[str, Any]:
        with self.lock:
            return self._get("rollouts", ns, name)

    def replicasets(self, ns: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                copy.deepcopy(o)
                for (p, n, _), o in self.objects.items()
                if p == "replicasets" and n == ns
            ]

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method in ("PUT", "PATCH", "POST", "DELETE")]

    def validate_all(self) -> list[str]:
        with self.lock:
            rollouts = [o for (p, _, _), o in self.objects.items() if p == "rollouts"]
        return [e.message for o in rollouts for e in self.validator.iter_errors(o)]

"""The local target's supervisor: one long-running process owning the proxies and the release
processes (a `LocalCluster`), with a small control API on 127.0.0.1 (aiohttp).

Every request carries the bearer token from `supervisor.json` (else 401). The cluster's calls
block (a deploy waits for the release's health check), so they run in worker threads; the
event loop only parses, authenticates and answers. SIGTERM, SIGINT and `POST /v1/stop` all end
in `LocalCluster.close()`, which stops every child process group.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainmaster.adapters.local import wire
from trainmaster.adapters.local.cluster import LocalCluster, Slot, colour, pod_hash
from trainmaster.adapters.local.process import Release
from trainmaster.adapters.local.scraping import LocalScraper
from trainmaster.adapters.local.supervisor import (
    RELEASE_MARK,
    SupervisorInfo,
    new_token,
    policy_digest,
    remove_info,
    write_info,
)
from trainmaster.errors import ConflictError, TrainmasterError, UsageError

if TYPE_CHECKING:
    from trainmaster.config import Policy

Method = Callable[[dict[str, Any]], dict[str, Any]]


class Control:
    """The API's methods over one cluster. Plans carry the target's generation as their
    resource_version, so a plan made before someone else's change is refused (409), not applied
    to a state it was not made for."""

    def __init__(
        self, cluster: LocalCluster, info: dict[str, str], scraper: LocalScraper | None = None
    ) -> None:
        self.cluster = cluster
        self.info = info
        self.scraper = scraper
        self._generation: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def methods(self) -> dict[str, Method]:
        return {
            "health": lambda body: {"pid": os.getpid(), **self.info},
            "status": self.status,
            "plan": self.plan,
            "apply": self.apply,
            "endpoints": self.endpoints,
            "register_artifact": self.register_artifact,
            "preview_up": self.preview_up,
            "preview_down": self.preview_down,
            "preview_url": self.preview_url,
            "previews": self.previews,
            "overview": self.overview,
            "query_range": self.query_range,
        }

    def query_range(self, body: dict[str, Any]) -> dict[str, Any]:
        """The gates' range query over the supervisor's own scrape history."""
        if self.scraper is None:
            raise UsageError("this local target keeps no metrics")
        return wire.series_to(self.scraper.query_range(*wire.query_from(body)))

    def status(self, body: dict[str, Any]) -> dict[str, Any]:
        return wire.state_to(self.cluster.status(wire.target_from(body["target"])))

    def plan(self, body: dict[str, Any]) -> dict[str, Any]:
        target = wire.target_from(body["target"])
        with self._lock:
            plan = self.cluster.plan(target, wire.operation_from(body["operation"]))
            version = self._generation.get((target.namespace, target.name), 0)
        return wire.plan_to(replace(plan, resource_version=str(version)))

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        target, plan = wire.target_from(body["target"]), wire.plan_from(body["plan"])
        key = (target.namespace, target.name)
        with self._lock:
            if plan.resource_version != str(self._generation.get(key, 0)):
                raise ConflictError(f"{target.namespace}/{target.name} changed since the plan")
            try:
                applied = self.cluster.apply(target, plan)
            finally:  # a half-applied plan changed the state too
                self._generation[key] = self._generation.get(key, 0) + 1
        return wire.plan_to(applied)

    def endpoints(self, body: dict[str, Any]) -> dict[str, Any]:
        found = self.cluster.endpoints(wire.target_from(body["target"]))
        return {"active": found.active, "preview": found.preview}

    def register_artifact(self, body: dict[str, Any]) -> dict[str, Any]:
        workdir = Path(str(body["workdir"]))
        if not workdir.is_absolute() or not workdir.is_dir():
            raise UsageError(f"artifact directory {workdir} is not an absolute directory")
        self.cluster.register_artifact(str(body["image"]), workdir, str(body.get("version", "")))
        return {}

    def preview_up(self, body: dict[str, Any]) -> dict[str, Any]:
        image = body.get("image")
        return {"result": self.cluster.preview_up(body["manifest"], image=image)}

    def preview_down(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"deleted": self.cluster.preview_down(str(body["namespace"]))}

    def preview_url(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.cluster.preview_url(str(body["namespace"]))}

    def previews(self, body: dict[str, Any]) -> dict[str, Any]:
        envs = self.cluster.previews()
        return {
            "previews": [
                {"namespace": e.namespace, "labels": e.labels, "annotations": e.annotations}
                for e in envs
            ]
        }

    def overview(self, body: dict[str, Any]) -> dict[str, Any]:
        """What `trainmaster local status` shows: each rollout's proxy and colours."""
        rollouts = [_slot_view(slot) for slot in self.cluster.slots()]
        previews = [
            {"namespace": e.namespace, "url": self.cluster.preview_url(e.namespace)}
            for e in self.cluster.previews()
        ]
        return {"pid": os.getpid(), **self.info, "rollouts": rollouts, "previews": previews}


def _slot_view(slot: Slot) -> dict[str, Any]:
    def release(r: Release | None) -> dict[str, Any] | None:
        if r is None:
            return None
        pid = r.process.pid if r.process is not None else None
        pod = f"{slot.target.name}-{pod_hash(r, slot.target.namespace)}-local"  # its series' label
        view = {"image": r.image, "colour": colour(r), "url": r.url, "pid": pid, "alive": r.alive}
        return {**view, "pod": pod}

    return {
        "stage": slot.target.stage,
        "namespace": slot.target.namespace,
        "name": slot.target.name,
        "proxy": slot.proxy.url,
        "active": release(slot.active),
        "previous": release(slot.previous),
        "pending": release(slot.pending),
    }


def make_app(control: Control, token: str, stop: Callable[[], None]) -> Any:
    """The aiohttp application: `POST /v1/<method>` with a JSON body, bearer token required."""
    from aiohttp import web

    methods = control.methods()
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def authenticate(request: Any, handler: Any) -> Any:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return web.json_response({"error": "unauthorized", "exit_code": 2}, status=401)
        return await handler(request)

    async def call(request: Any) -> Any:
        name = request.match_info["method"]
        if name == "stop":
            asyncio.get_running_loop().call_soon(stop)  # after this answer is on its way
            return web.json_response({"stopping": True})
        method = methods.get(name)
        if method is None:
            return web.json_response({"error": f"no method {name}", "exit_code": 2}, status=404)
        data, status = await _answer(name, method, request)
        return web.json_response(data, status=status)

    app = web.Application(middlewares=[authenticate])
    app.router.add_post(wire.API + "/{method}", call)
    return app


async def _answer(name: str, method: Method, request: Any) -> tuple[Any, int]:
    """The method's result (200), or its error with the exit code the CLI should use."""
    try:
        body = await request.json()
        return await asyncio.to_thread(method, body), 200
    except ConflictError as e:
        return wire.error_to(e), wire.CONFLICT
    except TrainmasterError as e:
        return wire.error_to(e), 422
    except (KeyError, TypeError, ValueError) as e:
        return {"error": f"malformed {name} request: {e!r}", "exit_code": 2}, 400
    except Exception as e:  # the supervisor stays up; its log keeps the traceback
        traceback.print_exc(file=sys.stderr)
        return {"error": f"{name} failed: {type(e).__name__}: {e}", "exit_code": 4}, 500


def serve(policy: Policy, policy_path: Path, base_dir: Path) -> None:
    """Run the supervisor until SIGTERM, SIGINT or `POST /v1/stop`; then stop every child."""
    import atexit

    cluster = LocalCluster(policy, base_dir, release_env={RELEASE_MARK: str(base_dir)})
    atexit.register(cluster.close)  # also if the loop itself fails
    try:
        asyncio.run(_serve(cluster, policy_path, base_dir))
    finally:
        cluster.close()


async def _serve(cluster: LocalCluster, policy_path: Path, base_dir: Path) -> None:
    import signal

    from aiohttp import web

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    token = new_token()
    scraper = LocalScraper(cluster, base_dir)
    scraper.start()
    info = {"base_dir": str(base_dir), "policy": str(policy_path)}
    control = Control(cluster, info, scraper)
    runner = web.AppRunner(make_app(control, token, stopping.set), access_log=None,
                           shutdown_timeout=2.0)  # fmt: skip
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)  # loopback only, a free port
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}"
    digest = policy_digest(cluster.policy)
    write_info(
        base_dir, SupervisorInfo(url, token, os.getpid(), str(base_dir), str(policy_path), digest)
    )
    print(f"local target supervisor on {url} (pid {os.getpid()})", flush=True)
    try:
        await stopping.wait()
    finally:
        remove_info(base_dir, os.getpid())
        await runner.cleanup()
        await asyncio.to_thread(scraper.close)  # saves the history for the next supervisor
        await asyncio.to_thread(cluster.close)
        print("local target supervisor stopped", flush=True)

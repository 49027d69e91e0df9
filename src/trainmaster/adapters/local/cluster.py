"""The cluster port on this machine: each release a local process behind a blue/green proxy.

A digest maps to something runnable through its artifact directory: a directory registered with
`register_artifact`, else `.trainmaster/artifacts/<64 hex>/` next to the policy, else the policy's
`backends.local.workdir`. The command runs there with `{port}`, `{image}`, `{digest}` and
`{version}` filled in (`version` from the registration, else the directory's VERSION file).

One process owns the proxies and the children: `close()` (also at exit and on SIGTERM/SIGINT)
stops every process group, so nothing is orphaned.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from trainmaster.adapters.local.process import Release, free_port, render_command
from trainmaster.adapters.local.proxy import BlueGreenProxy, EventLoopThread
from trainmaster.errors import UsageError
from trainmaster.rollout.plan import Operation, Patch, Plan
from trainmaster.rollout.planned import PlannedCluster
from trainmaster.rollout.port import (
    DIGEST_REF,
    RolloutState,
    Target,
    is_digest_ref,
    release_hash,
)
from trainmaster.rollout.preview import PreviewEnv

if TYPE_CHECKING:
    from trainmaster.config import Policy


@dataclass(frozen=True)
class Endpoints:
    active: str | None  # the proxy: what users get
    preview: str | None  # the colour awaiting promotion, straight to its process


@dataclass
class Slot:
    target: Target
    proxy: BlueGreenProxy
    active: Release | None = None
    previous: Release | None = None  # the old colour, kept warm for an instant undo
    pending: Release | None = None  # the new colour, awaiting promotion
    history: list[str] = field(default_factory=list)  # image per revision, oldest first
    aborted: bool = False
    scale_down: threading.Timer | None = None  # stops `previous` after the stage's delay


def colour(release: Release | None) -> str | None:
    return None if release is None else ("blue" if release.revision % 2 else "green")


def pod_hash(release: Release | None, namespace: str) -> str | None:
    """The release's `pod="<service>-<hash>-local"` label: per digest, colour and namespace."""
    if release is None:
        return None
    return release_hash(release.image, colour(release) or "", namespace)


class LocalCluster(PlannedCluster):
    backend = "local"

    def __init__(
        self, policy: Policy, base_dir: Path, *, release_env: dict[str, str] | None = None
    ) -> None:
        self.policy = policy
        self.base_dir = base_dir
        self.release_env = release_env  # added to each release's environment
        self.settings = policy.backends.local
        self._loop: EventLoopThread | None = None
        self._slots: dict[tuple[str, str], Slot] = {}
        self._previews: dict[str, tuple[PreviewEnv, Release | None]] = {}
        self._artifacts: dict[str, tuple[Path, str]] = {}
        self._lock = threading.RLock()
        self._closed = False

    # --- artifacts and processes -----------------------------------------------------------

    def register_artifact(self, image: str, workdir: Path, version: str = "") -> None:
        """Say where the release `image` (a digest reference) runs from, and its version."""
        self._artifacts[_hex(image)] = (workdir, version)

    def _release(self, image: str, revision: int) -> Release:
        if "{port}" not in self.settings.command:
            raise UsageError(
                "backends.local.command must contain {port}: the release listens there"
            )
        hex_digest = _hex(image)
        workdir, version = self._artifacts.get(hex_digest, (Path(), ""))
        if workdir == Path():
            artifact = self.base_dir / ".trainmaster" / "artifacts" / hex_digest
            workdir = artifact if artifact.is_dir() else self.base_dir / self.settings.workdir
            stamp = workdir / "VERSION"
            version = stamp.read_text().strip() if artifact.is_dir() and stamp.is_file() else ""
        port = free_port()
        argv = render_command(
            self.settings.command,
            port=str(port),
            image=image,
            digest=f"sha256:{hex_digest}",
            version=version or hex_digest[:12],
        )
        return Release(image, revision, workdir, argv, port, self.settings.health_path)

    def _launch(self, target: Target, image: str, revision: int) -> Release:
        release = self._release(image, revision)
        log = self.base_dir / ".trainmaster" / "local" / f"{target.namespace}-{revision}.log"
        release.start(log, self.release_env, passthrough=self.settings.env)  # hostile-input
        try:
            release.wait_healthy()
        except Exception:
            release.stop()
            raise
        return release

    def _slot(self, target: Target) -> Slot:
        key = (target.namespace, target.name)
        if key not in self._slots:
            if self._loop is None:
                self._loop = EventLoopThread()
            wanted = self.settings.proxy_port if target.stage == "prod" else 0
            proxy = BlueGreenProxy(self._loop, wanted)
            proxy.start()
            self._slots[key] = Slot(target, proxy)
        return self._slots[key]

    # --- reads -----------------------------------------------------------------------------

    def endpoints(self, target: Target) -> Endpoints:
        slot = self._slots.get((target.namespace, target.name))
        if slot is None:
            return Endpoints(None, None)
        active = slot.proxy.url if slot.active is not None else None
        return Endpoints(active, slot.pending.url if slot.pending else None)

    def slots(self) -> list[Slot]:
        """Every rollout this cluster runs (for the supervisor's overview)."""
        with self._lock:
            return list(self._slots.values())

    def status(self, target: Target) -> RolloutState:
        slot = self._slots.get((target.namespace, target.name))
        if slot is None or slot.active is None:
            return RolloutState(target, "Missing", None, None, 0, False, "nothing deployed")
        phase = "Paused" if slot.pending else "Healthy"
        if slot.aborted or not slot.active.healthy():
            phase = "Degraded"
        return RolloutState(
            target=target,
            phase=phase,
            stable=slot.active.image,
            preview=slot.pending.image if slot.pending else None,
            revision=len(slot.history),
            paused=slot.pending is not None,
            message=f"active {colour(slot.active)} on {slot.proxy.url}",
            active_hash=pod_hash(slot.active, target.namespace),
            preview_hash=pod_hash(slot.pending, target.namespace),
        )

    # --- plans -----------------------------------------------------------------------------

    def plan(self, target: Target, op: Operation) -> Plan:
        with self._lock:
            slot = self._slots.get((target.namespace, target.name))
            from trainmaster.adapters.local.plans import local_patches

            patches, summary = local_patches(slot, op, self._auto(target))
        return Plan(target.namespace, target.name, op, patches, summary, self._warnings(target))

    def _auto(self, target: Target) -> bool:
        stage = self.policy.stages.get(target.stage)
        return bool(stage and stage.auto_promotion)

    def _warnings(self, target: Target) -> tuple[str, ...]:
        from trainmaster.rollout.service import policy_warnings

        return tuple(policy_warnings(self.policy, target.stage))

    def apply(self, target: Target, plan: Plan) -> Plan:
        with self._lock:
            if self._closed:
                raise UsageError("the local cluster is closed")
            slot = self._slot(target)
            for patch in plan.patches:
                self._do(slot, patch)
        return plan

    def _do(self, slot: Slot, patch: Patch) -> None:
        body = patch.body
        if "start" in body:
            image = body["start"]["image"]
            if slot.pending is not None:
                slot.pending.stop()
            slot.history.append(image)
            slot.pending = self._launch(slot.target, image, len(slot.history))
            slot.aborted = False
        elif "switch" in body:
            self._switch(slot, body["switch"]["to"])
        elif "stop" in body and slot.pending is not None:
            slot.pending.stop()
            slot.pending, slot.aborted = None, True

    def _switch(self, slot: Slot, to: str) -> None:
        chosen = slot.pending if to == "pending" else slot.previous
        if chosen is None or not chosen.healthy():
            raise UsageError(f"the {to} colour is not healthy: not switching")
        old = slot.active
        slot.proxy.switch(chosen.url)
        slot.active = chosen
        if to == "pending":
            slot.pending = None
            if slot.previous is not None and slot.previous is not old:
                slot.previous.stop()  # only one old colour is kept warm
        slot.previous = old
        self._schedule_scale_down(slot)

    def _schedule_scale_down(self, slot: Slot) -> None:
        """Like Argo's scaleDownDelaySeconds: the old colour lives for the stage's
        `scale_down_delay`, then undo has to start it again instead of switching back."""
        if slot.scale_down is not None:
            slot.scale_down.cancel()
        stage = self.policy.stages.get(slot.target.stage)
        old = slot.previous
        if stage is None or old is None:
            return

        def scale_down() -> None:
            with self._lock:
                if slot.previous is old and slot.active is not old and not self._closed:
                    old.stop()
                    slot.previous = None

        slot.scale_down = threading.Timer(stage.scale_down_delay.total_seconds(), scale_down)
        slot.scale_down.daemon = True
        slot.scale_down.start()

    # --- previews: a third process per pull request -----------------------------------------

    def previews(self) -> list[PreviewEnv]:
        return [env for env, _ in self._previews.values()]

    def preview_up(self, manifest: dict[str, object], image: str | None = None) -> str:
        meta = manifest["metadata"]
        assert isinstance(meta, dict)
        name = str(meta["name"])
        env = PreviewEnv(name, dict(meta.get("labels") or {}), dict(meta.get("annotations") or {}))
        with self._lock:
            existed = name in self._previews
            _, running = self._previews.get(name, (env, None))
            if image is not None and (running is None or running.image != image):
                if running is not None:
                    running.stop()
                running = self._launch(Target("preview", name, "preview"), image, 1)
            self._previews[name] = (env, running)
        return "updated" if existed else "created"

    def preview_url(self, namespace: str) -> str | None:
        _, running = self._previews.get(namespace, (None, None))
        return running.url if running is not None else None

    def preview_down(self, namespace: str) -> bool:
        with self._lock:
            found = self._previews.pop(namespace, None)
        if found is None:
            return False
        if found[1] is not None:
            found[1].stop()
        return True

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop every child process group and every proxy. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            releases = [r for s in self._slots.values() for r in (s.active, s.previous, s.pending)]
            releases += [r for _, r in self._previews.values()]
            for release in releases:
                if release is not None:
                    release.stop()
            for slot in self._slots.values():
                if slot.scale_down is not None:
                    slot.scale_down.cancel()
                slot.proxy.stop()
            if self._loop is not None:
                self._loop.stop()


def _hex(image: str) -> str:
    match = DIGEST_REF.match(image)
    if match is None or not is_digest_ref(image):
        raise UsageError(f"{image!r} is not an immutable reference: give repo@sha256:<64 hex>")
    return match.group("hex")

"""The cluster port through a running supervisor (`trainmaster local serve`): what the CLI uses on
the local backend, so that a deploy outlives the invocation that made it.

Same methods as the in-process `LocalCluster`; the supervisor's errors come back as the same
kind of error with the same exit code. A plan is made and applied by the supervisor; if the
target changed in between (another invocation), the plan is made again and applied once more.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from trainmaster.adapters.local import wire
from trainmaster.adapters.local.cluster import Endpoints
from trainmaster.adapters.local.supervisor import SupervisorInfo
from trainmaster.errors import ExternalError, PolicyError, TrainmasterError, UsageError
from trainmaster.gates.port import Series
from trainmaster.rollout.plan import Operation, Plan
from trainmaster.rollout.planned import PlannedCluster
from trainmaster.rollout.port import RolloutState, Target
from trainmaster.rollout.preview import PreviewEnv

# A deploy waits for the release's health check (up to 20 s in the supervisor), then some.
TIMEOUT = httpx.Timeout(60.0, connect=2.0)


class Conflict(Exception):
    """The supervisor refused a plan made from a state that has since changed."""


class LocalClient(PlannedCluster):
    backend = "local"

    def __init__(self, info: SupervisorInfo, *, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.info = info
        self._http = httpx.Client(
            base_url=info.url + wire.API,
            headers={"Authorization": f"Bearer {info.token}"},
            timeout=timeout,
            trust_env=False,  # loopback: never through a proxy from the environment
        )

    def call(self, method: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self._http.post(f"/{method}", json=body or {})
        except httpx.HTTPError as e:
            raise ExternalError(
                f"the local target supervisor at {self.info.url} did not answer: {type(e).__name__}"
            ) from e
        if response.status_code == wire.CONFLICT:
            raise Conflict(response.text)
        try:
            data = response.json()
        except ValueError as e:
            raise ExternalError(f"the local target answered {response.status_code}") from e
        if response.status_code == 401:
            raise ExternalError("the local target refused our token (401): restart it")
        if response.status_code >= 400:
            raise wire.error_from(data)
        return data

    # --- reads -----------------------------------------------------------------------------

    def status(self, target: Target) -> RolloutState:
        return wire.state_from(self.call("status", {"target": wire.target_to(target)}))

    def endpoints(self, target: Target) -> Endpoints:
        found = self.call("endpoints", {"target": wire.target_to(target)})
        return Endpoints(found.get("active"), found.get("preview"))

    def overview(self) -> dict[str, Any]:
        data: dict[str, Any] = self.call("overview")
        return data

    # --- plans -----------------------------------------------------------------------------

    def plan(self, target: Target, op: Operation) -> Plan:
        body = {"target": wire.target_to(target), "operation": wire.operation_to(op)}
        return wire.plan_from(self.call("plan", body))

    def apply(self, target: Target, plan: Plan) -> Plan:
        try:
            return self._apply(target, plan)
        except Conflict:
            fresh = self.plan(target, plan.operation)  # once, from a fresh read
            if fresh.noop:
                return fresh
            try:
                return self._apply(target, fresh)
            except Conflict as e:
                where = f"{target.namespace}/{target.name}"
                raise ExternalError(f"{where} kept changing on the local target: retry") from e

    def _apply(self, target: Target, plan: Plan) -> Plan:
        body = {"target": wire.target_to(target), "plan": wire.plan_to(plan)}
        return wire.plan_from(self.call("apply", body))

    # --- artifacts and previews ------------------------------------------------------------

    def register_artifact(self, image: str, workdir: Path, version: str = "") -> None:
        body = {"image": image, "workdir": str(workdir.resolve()), "version": version}
        self.call("register_artifact", body)

    def previews(self) -> list[PreviewEnv]:
        found = self.call("previews")["previews"]
        return [PreviewEnv(e["namespace"], e["labels"], e["annotations"]) for e in found]

    def preview_up(self, manifest: dict[str, object], image: str | None = None) -> str:
        return str(self.call("preview_up", {"manifest": manifest, "image": image})["result"])

    def preview_url(self, namespace: str) -> str | None:
        url = self.call("preview_url", {"namespace": namespace})["url"]
        return str(url) if url else None

    def preview_down(self, namespace: str) -> bool:
        return bool(self.call("preview_down", {"namespace": namespace})["deleted"])

    # --- lifecycle -------------------------------------------------------------------------

    def stop_supervisor(self) -> None:
        """Ask the supervisor to stop every release and exit."""
        self.call("stop")

    def close(self) -> None:
        """Close this client's connections; the supervisor and its releases keep running."""
        self._http.close()


class SupervisorMetrics:
    """The metrics port over the supervisor's scrape history: every invocation's gates read the
    one scraper the supervisor runs (adapters/local/scraping.py)."""

    def __init__(self, info: SupervisorInfo) -> None:
        self.client = LocalClient(info)

    def query_range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]:
        try:
            return wire.series_from(
                self.client.call("query_range", wire.query_to(query, start, end, step))
            )
        except UsageError as e:  # the supervisor's PolicyError arrives as a usage error (exit 2)
            raise PolicyError(e.message.removeprefix("local target: ")) from e

    def close(self) -> None:
        self.client.close()


def answers(info: SupervisorInfo, timeout: float = 2.0) -> bool:
    """True when the supervisor of `info` answers its health check with our token."""
    client = LocalClient(info, timeout=httpx.Timeout(timeout))
    try:
        found = client.call("health")
    except TrainmasterError:
        return False
    finally:
        client.close()
    return bool(found.get("pid") == info.pid)

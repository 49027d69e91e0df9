"""Preview environments through whichever backend hosts them: up, down, and the TTL sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from trainmaster.config import Policy
from trainmaster.forge import Forge
from trainmaster.rollout.preview import PreviewEnv, SweepItem, preview_namespace, select_sweep

DEFAULT_NAMESPACE = "pr-{number}"


class PreviewHost(Protocol):
    def previews(self) -> list[PreviewEnv]: ...

    def preview_up(self, manifest: dict[str, Any]) -> str: ...

    def preview_down(self, namespace: str) -> bool: ...


@dataclass(frozen=True)
class PreviewPlan:
    namespace: str
    pr: int
    manifest: dict[str, Any]
    ttl: timedelta | None


def preview_settings(policy: Policy) -> tuple[str, timedelta | None]:
    """The namespace pattern and TTL of the policy's `preview` stage (pr-{number}, no TTL when
    the policy has no such stage)."""
    stage = policy.stages.get("preview")
    if stage is None:
        return DEFAULT_NAMESPACE, None
    pattern = stage.namespace if "{number}" in stage.namespace else DEFAULT_NAMESPACE
    return pattern, stage.ttl


def plan_up(policy: Policy, pr: int, now: datetime) -> PreviewPlan:
    pattern, ttl = preview_settings(policy)
    namespace = pattern.replace("{number}", str(pr))
    return PreviewPlan(namespace, pr, preview_namespace(namespace, pr, ttl, now), ttl)


def namespace_for(policy: Policy, pr: int) -> str:
    return preview_settings(policy)[0].replace("{number}", str(pr))


def plan_sweep(
    host: PreviewHost, forge: Forge | None, repo: str | None, now: datetime
) -> list[SweepItem]:
    """Every managed preview that is expired or whose PR is closed. The forge is asked once per
    PR; without a forge only expiry counts."""
    envs = [env for env in host.previews() if env.managed]
    states: dict[int, str] = {}
    if forge is not None and repo:
        for pr in sorted({env.pr for env in envs if env.pr is not None}):
            states[pr] = forge.pull_request(repo, pr).state
    return select_sweep(envs, states, now)

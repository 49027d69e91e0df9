"""Preview environments: one namespace per pull request, labelled as trainmaster's, with an
expiry annotation from the policy's TTL; the sweep chooses what to delete (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "trainmaster"
PR_LABEL = "trainmaster.dev/pr"
EXPIRES_ANNOTATION = "trainmaster.dev/expires-at"
MANAGED_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY}"


@dataclass(frozen=True)
class PreviewEnv:
    """A preview namespace as the cluster reports it."""

    namespace: str
    labels: dict[str, str]
    annotations: dict[str, str]

    @property
    def managed(self) -> bool:
        return self.labels.get(MANAGED_BY_LABEL) == MANAGED_BY

    @property
    def pr(self) -> int | None:
        value = self.labels.get(PR_LABEL, "")
        return int(value) if value.isdigit() else None

    @property
    def expires_at(self) -> datetime | None:
        value = self.annotations.get(EXPIRES_ANNOTATION)
        if not value:
            return None
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None


@dataclass(frozen=True)
class SweepItem:
    namespace: str
    pr: int | None
    reason: str


def format_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def preview_namespace(namespace: str, pr: int, ttl: timedelta | None, now: datetime) -> Any:
    """The Namespace object `preview up` creates (or merges into an existing one)."""
    annotations = {EXPIRES_ANNOTATION: format_time(now + ttl)} if ttl else {}
    metadata: dict[str, Any] = {
        "name": namespace,
        "labels": {MANAGED_BY_LABEL: MANAGED_BY, PR_LABEL: str(pr)},
    }
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def select_sweep(
    envs: list[PreviewEnv], pr_states: dict[int, str], now: datetime
) -> list[SweepItem]:
    """Delete what is expired or whose PR is closed or merged; never what trainmaster does not
    manage. A PR whose state is unknown (missing from `pr_states`) is kept unless expired."""
    chosen = []
    for env in sorted(envs, key=lambda e: e.namespace):
        if not env.managed:
            continue
        expires = env.expires_at
        state = pr_states.get(env.pr) if env.pr is not None else None
        if expires is not None and expires <= now:
            chosen.append(SweepItem(env.namespace, env.pr, f"expired {format_time(expires)}"))
        elif state in ("closed", "merged"):
            chosen.append(SweepItem(env.namespace, env.pr, f"PR #{env.pr} is {state}"))
    return chosen

"""What the generated pipeline evaluates where (pure): which gates each staging check runs, and the
release train's jobs per stage (deploy, verify with the inputs its gates need, promote through the
GitHub environment) and its post-promotion watch.

Every gate of a stage is evaluated exactly once in `staging.yml`: the smoke and load gates in the
jobs that produce their reports, the burn-rate signals in the rollback check, everything else
(the CI checks' conclusion, golden signals, migrations) in the rollout gate."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from trainmaster.config.model import Policy

# Inputs a gate reads from a file or the API rather than from Prometheus.
SMOKE, LOAD, CI_CHECKS = "smoke", "load", "ci-checks"
WATCH_SETUP_MINUTES = 15  # checkout, install, cluster credentials, a final rollback
SMOKE_REPORT, K6_REPORT = "reports/smoke.xml", "reports/k6-summary.json"


def gate_assignment(policy: Policy, stage: str, kinds: list[str]) -> dict[str, list[str]]:
    """Gate job kind (`smoke`, `k6`, `rollback`, `rollout`) → the stage's gates it evaluates.

    Only kinds present in `kinds` get gates; the rollout job takes what no other job claims. A
    smoke or load gate needs its report, so only its own job can evaluate it."""
    gates = list(policy.stage(stage).gates) if stage in policy.stages else []
    claims = {
        "smoke": [g for g in gates if g == SMOKE],
        "k6": [g for g in gates if g == LOAD],
        "rollback": [g for g in gates if _is_burn_rate(policy, g)],
    }
    out = {kind: claims[kind] for kind in kinds if kind in claims}
    if "rollout" in kinds:
        taken = {g for kind in out for g in out[kind]} | {SMOKE, LOAD}
        out["rollout"] = [g for g in gates if g not in taken]
    return out


def unevaluated(policy: Policy, stage: str, assignment: dict[str, list[str]]) -> list[str]:
    """The stage's gates no staging job evaluates (a warning for the generator)."""
    done = {g for gates in assignment.values() for g in gates}
    gates = policy.stage(stage).gates if stage in policy.stages else []
    return [g for g in gates if g not in done]


def only_flags(gates: list[str]) -> str:
    return "".join(f" --only {g}" for g in gates)


def _is_burn_rate(policy: Policy, gate: str) -> bool:
    signal = policy.signals.get(gate)
    return signal is not None and getattr(signal, "kind", "") == "burn_rate"


@dataclass(frozen=True)
class StageJobs:
    """One stage of the release train: the ids and inputs of its deploy/verify/promote jobs."""

    name: str
    id: str
    previous: str  # the id of the stage before, or ""
    blue_green: bool  # deployed as the preview colour, promoted by `promote`
    environment: bool  # a GitHub environment (with reviewers) guards the promote job
    smoke: bool
    load: bool
    ci_checks: str  # the rendered CI-checks step, or ""
    verify_flags: str
    settle_seconds: int = 0  # the new colour is measured this long before it is judged


def stage_jobs(policy: Policy, render_ci_checks: Any) -> list[StageJobs]:
    """The release train's stages in policy order; `render_ci_checks()` renders the step that
    reads the CI checks' conclusion (for a stage gated on `ci-checks`)."""
    out: list[StageJobs] = []
    previous = ""
    for name in train_path(policy):
        spec = policy.stages[name]
        gates = set(spec.gates)
        flags = ""
        if SMOKE in gates:
            flags += f" --smoke {SMOKE_REPORT}"
        if LOAD in gates:
            flags += f" --k6 {K6_REPORT}"
        if CI_CHECKS in gates:
            flags += ' --ci-checks "$CI_CHECKS"'
        ident = _slug(name)
        out.append(
            StageJobs(
                name=name,
                id=ident,
                previous=previous,
                blue_green=spec.strategy in ("blue-green", "canary") and not spec.auto_promotion,
                environment=name in policy.governance.environments,
                smoke=SMOKE in gates,
                load=LOAD in gates,
                ci_checks=render_ci_checks() if CI_CHECKS in gates else "",
                verify_flags=flags,
                settle_seconds=settle_seconds(policy, name),
            )
        )
        previous = ident
    return out


def settle_seconds(policy: Policy, stage: str) -> int:
    """How long the deployed colour must take traffic before its gates can judge it: the
    longest `window` or `for` of the stage's signals. Verification measures the new colour's
    pods only, so right after the deploy it would see no sample of them. Burn-rate windows
    (hours: the watch's business) do not count."""
    spec = policy.stages[stage]
    spans = [
        span.total_seconds()
        for gate in spec.gates
        if (signal := policy.signals.get(gate)) is not None
        for span in (signal.window, signal.duration)
        if span is not None
    ]
    return math.ceil(max(spans, default=0))


def watch_job(policy: Policy, stages: list[StageJobs]) -> dict[str, Any] | None:
    """The post-promotion watch of the last stage that has one; its job timeout covers the
    policy's watch duration plus set-up time, so GitHub never kills a watch mid-analysis."""
    for stage in reversed(stages):
        spec = policy.stages[stage.name].watch
        if spec is not None:
            minutes = math.ceil(spec.duration.total_seconds() / 60)
            return {
                "stage": stage.name,
                "id": stage.id,
                "duration": _human(spec.duration.total_seconds()),
                "timeout": minutes + WATCH_SETUP_MINUTES,
            }
    return None


def ci_contexts(policy: Policy, staged: list[str]) -> str:
    """The required contexts the CI workflow reports (as JSON), whose conclusion is the
    `ci-checks` gate's input."""
    return json.dumps([c for c in policy.checks.contexts if c not in staged])


def train_path(policy: Policy) -> list[str]:
    """The stages a train walks (as `train.rules.train_path`: per-PR previews are not on it)."""
    return [name for name, stage in policy.stages.items() if "{number}" not in stage.namespace]


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-") or "stage"
    return slug if re.match(r"^[a-z_]", slug) else f"stage-{slug}"


def _human(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    if seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{int(seconds)}s"

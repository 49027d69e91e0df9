"""`automation:` — what `trainmaster serve` / `trainmaster worker` do on their own.

Everything is off by default: a server that starts cutting trains nobody asked it to would
surprise its team. Every job acts as `actor`, authorized by the policy like a person."""

from __future__ import annotations

from datetime import time, timedelta

from pydantic import Field

from trainmaster.config.base import Strict
from trainmaster.config.types import Duration


class Automation(Strict):
    actor: str = Field("trainmaster[bot]", description="Who the jobs act as (audit, Rego).")
    cut: bool = Field(False, description="Cut each train at the cadence (freezes, skips kept).")
    deploy_after_cut: list[str] = Field(
        default_factory=list,
        description="Stages deployed and verified right after a cut, in order (e.g. [stage]).",
    )
    watch: bool = Field(
        False, description="Run each stage's post-promotion watch as a job after a promotion."
    )
    remind_approvals: Duration | None = Field(
        None, description="Remind approvers of a stage awaiting approval this often."
    )
    preview_sweep: Duration | None = Field(
        None, description="Delete expired or closed preview environments this often."
    )
    drift_at: time | None = Field(
        None, description="Nightly `drift` at this local time (the cadence's time zone)."
    )
    evidence: bool = Field(False, description="Build the evidence bundle when a train ends.")
    lease: Duration = Field(
        timedelta(seconds=20),
        description="A replica owns a running job this long without renewing; then another "
        "takes it over (kill -9 recovery time).",
    )

"""The verification port the train needs, and its adapter to the gates service.

The train asks one question — do this stage's gates pass for this digest now? — and records
each gate's verdict against the digest, so an approval or promotion can be checked against
exactly the artifact that was verified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from trainmaster.gates.verdict import Verdict, combine


@dataclass(frozen=True)
class GateOutcome:
    gate: str
    verdict: Verdict
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verification:
    gates: tuple[GateOutcome, ...]

    @property
    def verdict(self) -> Verdict:
        return combine(g.verdict for g in self.gates)


class Verifier(Protocol):
    def verify(
        self,
        stage: str,
        digest: str,
        *,
        at: datetime,
        inputs: Any = None,
        only: Sequence[str] | None = None,
    ) -> Verification: ...


class GatesVerifier:
    """Adapts the gates feature (`gates.service.evaluate_stage`) to `Verifier`.

    With a cluster, a blue-green stage is measured on the colour that runs the digest (the
    paused preview before its switch), through the policy's `metrics.pods` label template: a
    preview's verification never reads the active colour's series."""

    def __init__(
        self, policy: Any, metrics: Any, service: str | None = None, cluster: Any = None
    ) -> None:
        self.policy = policy
        self.metrics = metrics
        self.service = service
        self.cluster = cluster

    def verify(
        self,
        stage: str,
        digest: str,
        *,
        at: datetime,
        inputs: Any = None,
        only: Sequence[str] | None = None,
    ) -> Verification:
        from trainmaster.gates.inputs import GateInputs
        from trainmaster.gates.service import evaluate_stage

        report = evaluate_stage(
            self.policy,
            stage,
            metrics=self.metrics,
            at=at,
            service=self.service,
            inputs=inputs if inputs is not None else GateInputs(),
            only=only,
            scope=self._scope(stage, digest),
        )
        return Verification(
            tuple(GateOutcome(s.name, s.verdict, s.to_json()) for s in report.signals)
        )

    def _scope(self, stage: str, digest: str) -> Any:
        """The colour running `digest` on a blue-green stage; None (the whole service) when
        there are no colours or neither runs it."""
        spec = self.policy.stage(stage)
        if self.cluster is None or spec.strategy != "blue-green" or "{number}" in spec.namespace:
            return None
        from trainmaster.gates.scope import colour_of, scope_for
        from trainmaster.rollout.port import Target

        rollout = self.cluster.status(Target(stage, spec.namespace, spec.service))
        colour = colour_of(rollout, digest)
        if colour is None:
            return None
        return scope_for(self.policy, stage, self.service, rollout=rollout, colour=colour)

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
    """Adapts the gates feature (`gates.service.evaluate_stage`) to `Verifier`."""

    def __init__(self, policy: Any, metrics: Any, service: str | None = None) -> None:
        self.policy = policy
        self.metrics = metrics
        self.service = service

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
        )
        return Verification(
            tuple(GateOutcome(s.name, s.verdict, s.to_json()) for s in report.signals)
        )

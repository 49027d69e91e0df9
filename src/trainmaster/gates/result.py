"""What a gate evaluation reports: one result per signal and the overall verdict, with evidence."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trainmaster.gates.verdict import Verdict, combine


def iso(t: datetime | float | None) -> str | None:
    """RFC 3339 UTC with a Z, or None."""
    if t is None:
        return None
    moment = datetime.fromtimestamp(t, UTC) if isinstance(t, int | float) else t
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json_number(value: float | None) -> float | str | None:
    if value is None:
        return None
    if math.isnan(value) or math.isinf(value):
        return str(value)  # JSON has no NaN or Infinity
    return value


@dataclass(frozen=True)
class SignalResult:
    """One gate's verdict and the evidence behind it."""

    name: str
    verdict: Verdict
    reason: str
    kind: str = ""
    value: float | None = None
    threshold: float | None = None
    comparison: str = ">"
    window: str | None = None
    breach_started_at: float | None = None  # unix seconds
    query: str | None = None
    points: tuple[tuple[float, float], ...] = ()
    colour: str | None = None  # the colour measured (active | preview); None: the whole service
    selector: str | None = None  # the label matchers that picked that colour's series

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verdict": self.verdict.value,
            "value": _json_number(self.value),
            "threshold": self.threshold,
            "window": self.window,
            "breach_started_at": iso(self.breach_started_at),
            "query": self.query,
            "reason": self.reason,
            "kind": self.kind,
            "comparison": self.comparison,
            "points": [[iso(t), _json_number(v)] for t, v in self.points],
            "colour": self.colour,
            "selector": self.selector,
        }


@dataclass(frozen=True)
class GateReport:
    """Every gate of one stage at one instant. Inconclusive never promotes."""

    stage: str
    evaluated_at: datetime
    signals: list[SignalResult] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        return combine(s.verdict for s in self.signals)

    def failing(self) -> list[SignalResult]:
        return [s for s in self.signals if s.verdict is Verdict.FAIL]

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "evaluated_at": iso(self.evaluated_at),
            "stage": self.stage,
            "signals": [s.to_json() for s in self.signals],
        }

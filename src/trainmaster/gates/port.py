"""The metrics port: Prometheus's HTTP API, or the embedded scraper of the local target."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


@dataclass(frozen=True)
class Series:
    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...]  # (unix seconds, value); NaN kept as NaN


class Metrics(Protocol):
    def query_range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]:
        """One range query. Raises ExternalError(temporary=True) when unreachable, and
        PolicyError when the query itself is rejected."""
        ...

    def close(self) -> None:
        """Stop pollers and release connections (app-layer: the composition root calls it)."""
        ...

"""Verdicts and how they combine. Inconclusive never promotes."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"

    @property
    def promotes(self) -> bool:
        return self is Verdict.PASS


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """Any fail fails; else any inconclusive is inconclusive; an empty set passes."""
    seen = set(verdicts)
    if Verdict.FAIL in seen:
        return Verdict.FAIL
    if Verdict.INCONCLUSIVE in seen:
        return Verdict.INCONCLUSIVE
    return Verdict.PASS

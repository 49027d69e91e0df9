"""A finding: one thing `checks lint` (or the workflow reader) has to say, with where it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "note"]

RULES: dict[str, str] = {
    "workflow-invalid": "The workflow file cannot be read; GitHub would not run it.",
    "workflow-yaml": "A YAML feature worth knowing about (anchors and aliases).",
    "missing": "A required check that no workflow reports: every merge waits for it forever.",
    "not-triggered": "Reported only by workflows that do not run for pull requests to the "
    "default branch (or merge groups).",
    "filtered": "Reported only by workflows with paths/paths-ignore or activity-type filters: "
    "the check can stay pending forever.",
    "satisfied-by-skip": "The job can be skipped (job-level if:, or a needed job that failed); "
    "a skipped job reports success and satisfies the requirement without running.",
    "pending-when-skipped": "When this job is skipped GitHub reports another name, so the "
    "required context stays pending.",
    "ambiguous": "The same context is reported by more than one job.",
    "merge-queue": "Not run on merge_group while other workflows are: a merge queue waits for it.",
    "remote-reusable": "Produced by a remote reusable workflow: cannot be verified here.",
    "unevaluated-name": "The job name has an expression that cannot be evaluated before the run.",
}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    file: str
    line: int
    column: int = 1
    context: str | None = None

    def sort_key(self) -> tuple[int, str, int, str]:
        order = {"error": 0, "warning": 1, "note": 2}[self.severity]
        return (order, self.file, self.line, self.message)

"""Predict the check contexts GitHub will report for a set of workflows: a pure function.

A job reports `jobs.<id>.name` (or its id); a matrix job one context per combination with its
values in parentheses, unless the name reads `matrix`, which is then evaluated per combination;
a call to a local reusable workflow reports `<caller> / <called>` for each called job, nested
calls adding more ` / ` levels; the caller itself reports nothing. A skipped job reports its
unevaluated name once (no matrix values, `${{ … }}` left as text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trainmaster.checks.expressions import (
    ExpressionError,
    Partial,
    Unknown,
    evaluate,
    has_expression,
    segments,
)
from trainmaster.checks.findings import Finding
from trainmaster.checks.matrix import MatrixError, expand, resolve, suffix
from trainmaster.checks.names import Status, call_inputs, display, pattern
from trainmaster.checks.values import truthy
from trainmaster.checks.workflow import Job, Workflow

MAX_DEPTH = 10  # GitHub nests reusable workflows at most 10 levels deep
# GitHub docs ("Reusable workflows" reference): one workflow file calls at most 20 unique reusable
# workflows, nested trees included.
MAX_UNIQUE_CALLED = 20
# Matrices multiply across calls (three 200-entry levels report 8 million jobs): the walk stops
# at this many predicted checks per run, with a finding, instead of exhausting memory.
MAX_CHECKS = 10_000


@dataclass(frozen=True)
class Condition:
    """A job-level `if:` on the reporting job or one of its callers."""

    text: str
    file: str
    line: int
    skip_context: str  # what GitHub reports when this `if:` skips the job
    always: bool = False  # false for every pull request: the job never runs for one


@dataclass(frozen=True)
class Check:
    context: str  # the name GitHub reports (the literal text when not evaluable)
    workflow: str  # the triggered workflow file
    job: str  # job ids from the triggered workflow down, joined with "/"
    file: str  # the file that defines the reporting job
    line: int
    status: Status = "exact"
    reason: str = ""
    pattern: str = ""  # a regex for required contexts this check could be (not exact)
    conditions: tuple[Condition, ...] = ()
    needs: tuple[str, ...] = ()  # job paths (in `workflow`) this one waits for


@dataclass(frozen=True)
class Prediction:
    checks: tuple[Check, ...]
    findings: tuple[Finding, ...]


@dataclass
class _Scope:
    """Where the walk is: the triggered workflow, the caller chain and its inputs."""

    top: str
    prefix: str = ""
    path: str = ""
    inputs: Mapping[str, Any] = field(default_factory=dict)
    conditions: tuple[Condition, ...] = ()
    needs: tuple[str, ...] = ()
    files: tuple[str, ...] = ()


def predict(workflows: Mapping[str, Workflow], default_branch: str = "main") -> Prediction:
    """Every check the triggered workflows report (callable-only workflows via their callers)."""
    walker = _Walker(workflows, default_branch)
    for path, workflow in sorted(workflows.items()):
        if {t.event for t in workflow.triggers} - {"workflow_call"}:
            walker.workflow(workflow, _Scope(top=workflow.path, files=(path,)))
    # a matrix caller meets the same broken call once per combination: say it once
    return Prediction(tuple(walker.checks), tuple(dict.fromkeys(walker.findings)))


def local_target(uses: str) -> str | None:
    """`./.github/workflows/x.yml` → `.github/workflows/x.yml`; None for a remote workflow."""
    return uses[2:].split("@", maxsplit=1)[0] if uses.startswith("./") else None


class _Walker:
    def __init__(self, workflows: Mapping[str, Workflow], default_branch: str) -> None:
        self.workflows = workflows
        self.github = Partial(event_name="pull_request", base_ref=default_branch)
        self.checks: list[Check] = []
        self.findings: list[Finding] = []
        self.called: dict[str, set[str]] = {}  # triggered workflow → reusable workflows it calls
        self.origin = ("", 0)  # the triggered workflow's job being walked
        self.exhausted = False

    def workflow(self, workflow: Workflow, scope: _Scope) -> None:
        for job in workflow.jobs:
            if not scope.path:
                self.origin = (workflow.path, job.line)
            self.job(workflow, job, scope)

    def over_budget(self) -> bool:
        """Whether the walk has predicted as many checks as it may: said once, then stopped."""
        if len(self.checks) < MAX_CHECKS:
            return False
        if not self.exhausted:
            self.exhausted = True
            message = (
                f"matrices and reusable-workflow calls fan out to more than {MAX_CHECKS} checks; "
                "trainmaster stops predicting here"
            )
            self.findings.append(_invalid(*self.origin, message))
        return True

    def job(self, workflow: Workflow, job: Job, scope: _Scope) -> None:
        if self.over_budget():
            return
        path = f"{scope.path}/{job.id}" if scope.path else job.id
        own_needs = tuple(f"{scope.path}/{n}" if scope.path else n for n in job.needs)
        if job.condition is not None and _STATUS_CHECK.search(job.condition):
            own_needs = ()  # always()/failure()/cancelled(): a failed need does not skip it
        raw = job.name if job.name is not None else job.id
        conditions = scope.conditions
        outcome = self.condition(job.condition, scope)
        if job.condition is not None and outcome is not True:
            skip = f"{scope.prefix} / {raw}" if scope.prefix else raw
            where = (job.condition, workflow.path, job.condition_line, skip)
            conditions += (Condition(*where, always=outcome is False),)
        inner = _Scope(
            scope.top,
            scope.prefix,
            path,
            scope.inputs,
            conditions,
            scope.needs + own_needs,
            scope.files,
        )
        for name, status, reason, contexts in self.names(workflow, job, inner):
            if self.over_budget():
                return
            if job.uses is None:
                self.report(workflow, job, inner, name, status, reason)
            elif status == "exact":
                self.call(workflow, job, inner, name, contexts)
            else:
                self.report(workflow, job, inner, f"{name} / ${{{{ called }}}}", status, reason)

    def condition(self, text: str | None, scope: _Scope) -> bool | None:
        """A job-level `if:` for a pull request: True, False, or None when only a run knows."""
        if text is None or _never_skips(text):
            return True
        parts = segments(text) if has_expression(text) else [(True, text)]
        if len(parts) != 1 or not parts[0][0]:
            return None  # text around `${{ }}`: GitHub's rules for that are not documented
        try:
            return truthy(evaluate(parts[0][1], {"github": self.github, "inputs": scope.inputs}))
        except (Unknown, ExpressionError):
            return None

    def names(
        self, workflow: Workflow, job: Job, scope: _Scope
    ) -> list[tuple[str, Status, str, dict[str, Any]]]:
        raw = job.name if job.name is not None else job.id
        matrix = self.matrix(job, scope)
        try:
            expansion = expand(matrix)
        except MatrixError as e:
            self.findings.append(_invalid(workflow.path, job.line, f"jobs.{job.id}: {e}"))
            return []
        if expansion is None:  # values known only at run time: show where they would go
            name = raw if has_expression(raw) else f"{raw} (${{{{ matrix }}}})"
            return [(name, "unevaluated", "the matrix comes from an expression", {})]
        combos = expansion.combinations
        result: list[tuple[str, Status, str, dict[str, Any]]] = []
        for index, combination in enumerate(combos):
            contexts = self.contexts(
                scope, dict(combination) if matrix else None, index, len(combos)
            )
            name, status, reason = display(raw, contexts)
            if matrix is not None and not has_expression(raw):
                # GitHub appends the values only to a literal name: any `${{ }}` in it (even
                # `${{ '' }}`, a known trick to group matrix jobs) turns the suffix off
                name += suffix(combination)
            result.append((name, status, reason, contexts))
        return result

    def matrix(self, job: Job, scope: _Scope) -> Any:
        """The job's matrix with what the caller and the event make known evaluated."""
        known = {"inputs": scope.inputs, "github": self.github}
        try:
            if job.strategy_expression is not None:
                strategy = resolve(job.strategy_expression, known)
                return strategy.get("matrix") if isinstance(strategy, dict) else None
            return resolve(job.matrix, known)
        except (Unknown, ExpressionError):
            return job.strategy_expression or job.matrix  # left to expand(): known at run time

    def contexts(
        self, scope: _Scope, matrix: dict[str, Any] | None, index: int, total: int
    ) -> dict[str, Any]:
        strategy = {
            "job-index": index,
            "job-total": total,
            "fail-fast": True,
            "max-parallel": total,
        }
        return {
            "matrix": matrix,
            "strategy": strategy,
            "inputs": scope.inputs,
            "github": self.github,
        }

    def report(
        self, workflow: Workflow, job: Job, scope: _Scope, name: str, status: Status, reason: str
    ) -> None:
        context = f"{scope.prefix} / {name}" if scope.prefix else name
        remote = status == "remote"
        if status != "exact" and any(
            c.context == context and c.job == scope.path and c.workflow == scope.top
            for c in self.checks[-1:]
        ):
            return  # an unevaluated matrix name: one line for all its combinations
        self.checks.append(
            Check(
                context=context,
                workflow=scope.top,
                job=scope.path,
                file=workflow.path,
                line=job.uses_line if remote else job.line,
                status=status,
                reason=reason,
                pattern="" if status == "exact" else pattern(context),
                conditions=scope.conditions,
                needs=scope.needs,
            )
        )

    def call(
        self, workflow: Workflow, job: Job, scope: _Scope, name: str, contexts: dict[str, Any]
    ) -> None:
        assert job.uses is not None
        target = local_target(job.uses)
        unique = self.called.setdefault(scope.top, set())
        unique.add(target or job.uses.split("@", maxsplit=1)[0])
        too_many = (
            f"{scope.top} calls more than {MAX_UNIQUE_CALLED} unique reusable workflows; "
            "GitHub rejects the run"
        )
        if len(unique) > MAX_UNIQUE_CALLED:  # remote ones count too
            self.findings.append(
                _invalid(workflow.path, job.uses_line, f"jobs.{job.id}: {too_many}")
            )
            return
        if target is None:
            self.report(
                workflow,
                job,
                scope,
                f"{name} / ${{{{ {job.uses} }}}}",
                "remote",
                f"reported by the remote workflow {job.uses}",
            )
            return
        called = self.workflows.get(target)
        problem = _call_problem(target, called, scope.files)
        if problem or called is None:
            self.findings.append(
                _invalid(workflow.path, job.uses_line, f"jobs.{job.id}: {problem}")
            )
            return
        prefix = f"{scope.prefix} / {name}" if scope.prefix else name
        inputs = call_inputs(job.inputs, called, contexts)
        inner = _Scope(
            scope.top,
            prefix,
            scope.path,
            inputs,
            scope.conditions,
            scope.needs,
            (*scope.files, target),
        )
        self.workflow(called, inner)


def _call_problem(target: str, called: Workflow | None, files: tuple[str, ...]) -> str:
    if called is None:
        return f"calls {target}, which is missing or invalid, so its jobs report nothing"
    if target in files:
        return f"calls {target} recursively; GitHub rejects the run"
    if len(files) > MAX_DEPTH:
        return f"calls nest deeper than {MAX_DEPTH} levels; GitHub rejects the run"
    if not called.trigger("workflow_call"):
        return f"calls {target}, which has no `on: workflow_call`; GitHub rejects the run"
    return ""


_ALWAYS = re.compile(r"^\s*(?:\$\{\{\s*)?(?:always\(\)|true|!\s*cancelled\(\))\s*(?:\}\})?\s*$")


_STATUS_CHECK = re.compile(r"\b(?:always|failure|cancelled)\s*\(")


def _never_skips(condition: str) -> bool:
    return bool(_ALWAYS.match(condition))


def _invalid(path: str, line: int, message: str) -> Finding:
    return Finding("workflow-invalid", "error", message, path, line)

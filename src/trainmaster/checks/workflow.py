"""The parts of a workflow file that decide which check contexts GitHub reports, and when.

`read_workflow` turns a loaded document into a frozen `Workflow`, collecting findings for
everything GitHub would reject (unknown keys, bad job ids, conflicting filters) instead of
raising: one bad file must not stop the others from being analysed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from trainmaster.checks.findings import Finding
from trainmaster.checks.source import Document, SourceError, load_workflow_yaml
from trainmaster.config.yamlsource import SourceMap

WORKFLOW_KEYS = ("name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs")
JOB_KEYS = (
    "name",
    "needs",
    "permissions",
    "runs-on",
    "environment",
    "concurrency",
    "outputs",
    "env",
    "defaults",
    "if",
    "steps",
    "timeout-minutes",
    "strategy",
    "continue-on-error",
    "container",
    "services",
    "uses",
    "with",
    "secrets",
    "snapshot",
)
FILTERS = ("branches", "branches-ignore", "paths", "paths-ignore", "types", "tags", "tags-ignore")
FILTERED_EVENTS = ("pull_request", "pull_request_target", "push", "merge_group")
_JOB_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Trigger:
    event: str
    line: int
    branches: tuple[str, ...] | None = None
    branches_ignore: tuple[str, ...] | None = None
    paths: tuple[str, ...] | None = None
    paths_ignore: tuple[str, ...] | None = None
    types: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Job:
    id: str
    line: int
    name: str | None = None
    name_line: int = 0
    matrix: Any = None  # the raw `strategy.matrix` (a mapping, or an expression string)
    strategy_expression: str | None = None  # `strategy: ${{ … }}` as a whole
    condition: str | None = None  # the job-level `if:`
    condition_line: int = 0
    uses: str | None = None
    uses_line: int = 0
    inputs: Any = None  # the raw `with:` of a reusable-workflow call
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Workflow:
    path: str
    name: str | None
    triggers: tuple[Trigger, ...]
    jobs: tuple[Job, ...]
    input_defaults: tuple[tuple[str, Any], ...] = ()  # `on.workflow_call.inputs.*.default`

    def trigger(self, event: str) -> Trigger | None:
        return next((t for t in self.triggers if t.event == event), None)


def read_workflow(text: str, path: str) -> tuple[Workflow | None, list[Finding]]:
    """Parse one workflow file; a file GitHub would reject yields None and its findings."""
    try:
        document = load_workflow_yaml(text, path)
    except SourceError as e:
        return None, [_error(path, e.mark.line, e.message, e.mark.column)]
    notes = [
        Finding("workflow-yaml", "note", n.message, path, n.mark.line, n.mark.column)
        for n in document.notices
    ]
    reader = _Reader(document, path)
    workflow = reader.workflow()
    return (None if reader.fatal else workflow), notes + reader.findings


def _error(path: str, line: int, message: str, column: int = 1) -> Finding:
    return Finding("workflow-invalid", "error", message, path, line, column)


def _unknown_key(key: str, known: tuple[str, ...], where: str) -> str:
    hint = difflib.get_close_matches(key, known, n=1)
    more = f" (did you mean {hint[0]!r}?)" if hint else ""
    return f"{where}: unknown key {key!r}{more}"


class _Reader:
    def __init__(self, document: Document, path: str) -> None:
        self.data = document.data
        self.source: SourceMap = document.source
        self.path = path
        self.findings: list[Finding] = []
        self.fatal = False

    def line(self, *where: str | int, key: bool = False) -> int:
        return self.source.locate(tuple(where), key=key).line

    def fail(self, line: int, message: str) -> None:
        self.fatal = True
        self.findings.append(_error(self.path, line, message))

    def workflow(self) -> Workflow | None:
        if not isinstance(self.data, dict):
            what = "empty" if self.data is None else f"a {type(self.data).__name__}"
            self.fail(1, f"a workflow must be a mapping of keys, this file is {what}")
            return None
        for key in self.data:
            if key not in WORKFLOW_KEYS:
                self.fail(self.line(key, key=True), _unknown_key(key, WORKFLOW_KEYS, "workflow"))
        if "on" not in self.data:
            self.fail(1, "workflow: required key 'on' is missing")
        jobs = self.data.get("jobs")
        if not isinstance(jobs, dict) or not jobs:
            self.fail(self.line("jobs"), "workflow: 'jobs' must be a non-empty mapping")
            jobs = {}
        name = self.data.get("name")
        return Workflow(
            path=self.path,
            name=name if isinstance(name, str) else None,
            triggers=self.triggers(self.data.get("on")),
            jobs=tuple(j for j in (self.job(k, v) for k, v in jobs.items()) if j),
            input_defaults=self.input_defaults(),
        )

    def triggers(self, on: Any) -> tuple[Trigger, ...]:
        if isinstance(on, str):
            return (Trigger(on, self.line("on")),)
        if isinstance(on, list):
            return tuple(Trigger(str(e), self.line("on", i)) for i, e in enumerate(on))
        if isinstance(on, dict):
            return tuple(self.trigger(str(event), spec) for event, spec in on.items())
        if on is not None:
            self.fail(self.line("on"), "on: must be an event name, a list or a mapping")
        return ()

    def trigger(self, event: str, spec: Any) -> Trigger:
        line = self.line("on", event, key=True)
        if not isinstance(spec, dict):
            return Trigger(event, line)
        if event in FILTERED_EVENTS:
            for key in spec:
                if key not in FILTERS:
                    where = self.line("on", event, key, key=True)
                    self.fail(where, _unknown_key(str(key), FILTERS, f"on.{event}"))
        values: dict[str, tuple[str, ...] | None] = {}
        for key in ("branches", "branches-ignore", "paths", "paths-ignore", "types"):
            raw = spec.get(key)
            values[key] = (raw,) if isinstance(raw, str) else None
            if isinstance(raw, list):
                values[key] = tuple(str(v) for v in raw)
        for first, second in (("branches", "branches-ignore"), ("paths", "paths-ignore")):
            if first in spec and second in spec:
                self.fail(line, f"on.{event}: {first} and {second} cannot both filter one event")
        return Trigger(
            event,
            line,
            branches=values["branches"],
            branches_ignore=values["branches-ignore"],
            paths=values["paths"],
            paths_ignore=values["paths-ignore"],
            types=values["types"],
        )

    def job(self, job_id: str, spec: Any) -> Job | None:
        line = self.line("jobs", job_id, key=True)
        if not _JOB_ID.match(job_id):
            self.fail(
                line,
                f"jobs.{job_id}: a job id starts with a letter or _ and contains "
                "only letters, digits, - and _",
            )
        if not isinstance(spec, dict):
            self.fail(line, f"jobs.{job_id}: a job must be a mapping")
            return None
        for key in spec:
            if key not in JOB_KEYS:
                where = self.line("jobs", job_id, key, key=True)
                self.fail(where, _unknown_key(key, JOB_KEYS, f"jobs.{job_id}"))
        if "runs-on" not in spec and "uses" not in spec and "runs_on" not in spec:
            self.fail(line, f"jobs.{job_id}: a job needs runs-on (or uses, to call a workflow)")
        name, condition, uses = spec.get("name"), spec.get("if"), spec.get("uses")
        strategy = spec.get("strategy")
        needs = spec.get("needs")
        return Job(
            id=job_id,
            line=line,
            name=_text(name) or None,  # an empty name is no name: GitHub shows the id
            name_line=self.line("jobs", job_id, "name") if name is not None else 0,
            matrix=_matrix(strategy),
            strategy_expression=strategy if isinstance(strategy, str) else None,
            condition=_text(condition),
            condition_line=self.line("jobs", job_id, "if") if condition is not None else 0,
            uses=uses if isinstance(uses, str) else None,
            uses_line=self.line("jobs", job_id, "uses") if uses is not None else 0,
            inputs=spec.get("with"),
            needs=(needs,) if isinstance(needs, str) else tuple(str(n) for n in needs or ()),
        )

    def input_defaults(self) -> tuple[tuple[str, Any], ...]:
        on = self.data.get("on") if isinstance(self.data, dict) else None
        call = on.get("workflow_call") if isinstance(on, dict) else None
        inputs = call.get("inputs") if isinstance(call, dict) else None
        if not isinstance(inputs, dict):
            return ()
        return tuple((str(k), v.get("default")) for k, v in inputs.items() if isinstance(v, dict))


def _matrix(strategy: Any) -> Any:
    return strategy.get("matrix") if isinstance(strategy, dict) else None


def _text(value: Any) -> str | None:
    """Names and conditions as text; YAML may have made `true` or `1` of them."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

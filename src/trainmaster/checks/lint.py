"""Required checks against predicted contexts: what can block every merge or guard nothing. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from trainmaster.checks.contexts import Check, Condition, Prediction
from trainmaster.checks.findings import Finding, Severity
from trainmaster.checks.triggers import Verdict, reach, targets
from trainmaster.checks.workflow import Workflow


@dataclass(frozen=True)
class Required:
    context: str
    file: str  # the policy file
    line: int


@dataclass
class _Index:
    """The prediction looked up by context and by job, built once for all requirements."""

    verdicts: dict[str, Verdict]
    wanted: set[str]
    actions_only: bool = True
    queued: set[str] = field(default_factory=set)  # workflows that run in the merge queue
    by_context: dict[str, list[Check]] = field(default_factory=dict)
    by_job: dict[tuple[str, str], list[Check]] = field(default_factory=dict)
    fuzzy: list[tuple[re.Pattern[str], Check]] = field(default_factory=list)

    def add(self, check: Check) -> None:
        self.by_job.setdefault((check.workflow, check.job), []).append(check)
        if check.status == "exact":
            self.by_context.setdefault(spaced(check.context), []).append(check)
        else:
            self.fuzzy.append((re.compile(check.pattern), check))


def lint(
    required: Sequence[Required],
    prediction: Prediction,
    workflows: Mapping[str, Workflow],
    default_branch: str,
    *,
    actions_only: bool = True,
) -> list[Finding]:
    """Every finding for the required contexts, sorted errors first.

    `actions_only`: the requirement is pinned to GitHub Actions, so no other app can report it.
    """
    verdicts = {w.path: reach(w, default_branch) for w in workflows.values()}
    index = _Index(verdicts, {r.context for r in required}, actions_only)
    index.queued = {
        w.path
        for w in workflows.values()
        if (q := w.trigger("merge_group")) and targets(q, default_branch)
    }
    for check in prediction.checks:
        index.add(check)
    findings: list[Finding] = []
    for requirement in required:
        findings += _one(requirement, index)
    return sorted(findings, key=Finding.sort_key)


def _one(requirement: Required, index: _Index) -> list[Finding]:
    verdicts, wanted, by_job = index.verdicts, index.wanted, index.by_job
    name = requirement.context
    producers = index.by_context.get(spaced(name), [])
    if not producers:
        return _unproduced(requirement, index)
    reaching = [c for c in producers if verdicts[c.workflow].reach in ("runs", "filtered")]
    if not reaching:
        return [_unreached(name, producers, verdicts)]
    findings: list[Finding] = []
    if not any(verdicts[c.workflow].reach == "runs" for c in reaching):
        for check in reaching:
            verdict = verdicts[check.workflow]
            findings.append(
                Finding(
                    "filtered",
                    "error",
                    f"{name!r} is reported by {check.workflow}, but {verdict.reason}",
                    check.workflow,
                    verdict.line,
                    context=name,
                )
            )
    if len(reaching) > 1:
        where = ", ".join(f"{c.file}:{c.line} (jobs.{c.job})" for c in reaching)
        findings.append(
            Finding(
                "ambiguous",
                "warning",
                f"{name!r} is reported {len(reaching)} times: {where}; branch protection matches "
                "by name only, so one run can stand in for another",
                reaching[1].file,
                reaching[1].line,
                context=name,
            )
        )
    findings += _queue(name, reaching, index)
    for check in reaching:
        findings += _skips(name, check, wanted, by_job)
    return findings


def _queue(name: str, reaching: list[Check], index: _Index) -> list[Finding]:
    """A repository whose workflows run in a merge queue needs every required check there too."""
    if not index.queued or any(c.workflow in index.queued for c in reaching):
        return []
    check = reaching[0]
    message = (
        f"{name!r} runs for pull requests but not in the merge queue (merge_group), which "
        "other workflows here use: a queued pull request waits for it forever"
    )
    return [
        Finding(
            "merge-queue",
            "warning",
            message,
            check.workflow,
            index.verdicts[check.workflow].line,
            context=name,
        )
    ]


def _unproduced(requirement: Required, index: _Index) -> list[Finding]:
    name = requirement.context
    maybe = [
        c
        for pattern, c in index.fuzzy
        if pattern.fullmatch(name) or pattern.fullmatch(spaced(name))
    ]
    if maybe:
        rule = "remote-reusable" if maybe[0].status == "remote" else "unevaluated-name"
        return [
            Finding(
                rule,
                "warning",
                f"{name!r} may be reported as {c.context!r} "
                f"({c.reason}); it cannot be verified before the run",
                c.file,
                c.line,
                context=name,
            )
            for c in maybe
        ]
    known = sorted({c.context for checks in index.by_context.values() for c in checks})
    hint = closest(name, known)
    more = f"; did you mean {hint!r}?" if hint else ""
    if index.actions_only:
        severity: Severity = "error"
        why = f"every merge waits for it forever{more}"
    else:  # not pinned to GitHub Actions: another app or a commit status may report it
        severity = "warning"
        why = f"unless another app or a commit status reports it, every merge waits{more}"
    return [
        Finding(
            "missing",
            severity,
            f"required check {name!r} is reported by no workflow: {why}",
            requirement.file,
            requirement.line,
            context=name,
        )
    ]


def _unreached(name: str, producers: Sequence[Check], verdicts: Mapping[str, Verdict]) -> Finding:
    check = producers[0]
    verdict = verdicts[check.workflow]
    severity: Severity = "warning" if verdict.reach == "base-only" else "error"
    return Finding(
        "not-triggered",
        severity,
        f"{name!r} is reported only by {check.workflow}, which {verdict.reason}",
        check.workflow,
        verdict.line,
        context=name,
    )


def _skips(
    name: str, check: Check, wanted: set[str], by_job: Mapping[tuple[str, str], list[Check]]
) -> list[Finding]:
    findings = [_skip_finding(name, condition) for condition in check.conditions]
    for needed in check.needs:
        others = [c.context for c in by_job.get((check.workflow, needed), [])]
        loose = [c for c in others if c not in wanted]
        if loose:
            message = (
                f"{name!r} needs jobs.{needed}, whose {loose[0]!r} is not required: if it "
                "fails, this job is skipped and its skipped check satisfies the requirement"
            )
            findings.append(
                Finding(
                    "satisfied-by-skip", "warning", message, check.file, check.line, context=name
                )
            )
    return findings


def _skip_finding(name: str, condition: Condition) -> Finding:
    where = (condition.file, condition.line)
    if condition.skip_context == name:
        when = "always skipped for pull requests" if condition.always else "skipped"
        message = (
            f"{name!r} is {when} when `if: {condition.text}` is false, and a skipped job "
            "reports success: the requirement is met without running"
        )
        return Finding("satisfied-by-skip", "warning", message, *where, context=name)
    if condition.always:
        message = (
            f"`if: {condition.text}` is false for every pull request, so GitHub reports "
            f"{condition.skip_context!r} and never {name!r}: every merge waits for it"
        )
        return Finding("pending-when-skipped", "error", message, *where, context=name)
    message = (
        f"when `if: {condition.text}` is false GitHub reports "
        f"{condition.skip_context!r} instead of {name!r}, which stays pending"
    )
    return Finding("pending-when-skipped", "warning", message, *where, context=name)


def spaced(context: str) -> str:
    """Contexts compared with runs of whitespace as one space and none at the ends: names built
    from empty inputs (`build ${{ inputs.a }} ${{ inputs.b }}`) leave spaces GitHub's pages hide."""
    return " ".join(context.split())


def closest(name: str, candidates: Sequence[str]) -> str | None:
    """The candidate nearest by edit distance, if it is near enough to be a typo."""
    limit = max(2, len(name) // 3)
    best: tuple[int, str] | None = None
    for candidate in candidates:
        if abs(len(candidate) - len(name)) > limit:
            continue  # the distance is at least the difference in length
        distance = edit_distance(name.casefold(), candidate.casefold())
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]

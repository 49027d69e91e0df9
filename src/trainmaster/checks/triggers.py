"""Does a workflow run, and always run, for a pull request to the default branch? Pure.

Filter patterns follow GitHub's cheat sheet: `*` matches anything but `/`, `**` anything, `?` and
`+` repeat the preceding character, `[]` is a class, a leading `!` negates, and the last
matching pattern wins. `branches` of `pull_request` and `merge_group` filter the base branch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from trainmaster.checks.workflow import Trigger, Workflow

Reach = Literal["runs", "filtered", "not-triggered", "base-only"]


@dataclass(frozen=True)
class Verdict:
    reach: Reach
    reason: str
    line: int


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char in "?+":
            out.append(char)
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                out.append(pattern[i : end + 1])
                i = end
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out))


def matches(patterns: tuple[str, ...], name: str) -> bool:
    """Whether `name` is selected by a GitHub filter list (the last matching pattern wins)."""
    selected = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if _regex(pattern[1:] if negated else pattern).fullmatch(name):
            selected = not negated
    return selected


def targets(trigger: Trigger, branch: str) -> bool:
    if trigger.branches is not None:
        return matches(trigger.branches, branch)
    if trigger.branches_ignore is not None:
        return not matches(trigger.branches_ignore, branch)
    return True


def reach(workflow: Workflow, default_branch: str) -> Verdict:
    """How this workflow's checks reach a pull request to the default branch."""
    pull = workflow.trigger("pull_request")
    if pull is not None and targets(pull, default_branch):
        return _filtered(pull) or Verdict("runs", "", pull.line)
    queue = workflow.trigger("merge_group")
    target = workflow.trigger("pull_request_target")
    if target is not None and targets(target, default_branch):
        return Verdict(
            "base-only",
            "runs only on pull_request_target, whose runs are attached to the base branch's "
            "last commit (GITHUB_SHA), not to the pull request's head",
            target.line,
        )
    if pull is not None:
        return Verdict(
            "not-triggered",
            f"its pull_request branch filter excludes {default_branch!r}",
            pull.line,
        )
    if queue is not None and targets(queue, default_branch):
        return Verdict(
            "not-triggered",
            "runs only in the merge queue (merge_group): the pull request itself never gets "
            "it, so it cannot be queued",
            queue.line,
        )
    events = ", ".join(t.event for t in workflow.triggers) or "nothing"
    line = workflow.triggers[0].line if workflow.triggers else 1
    return Verdict("not-triggered", f"runs on {events}, not on pull_request", line)


def _filtered(trigger: Trigger) -> Verdict | None:
    if trigger.paths is not None or trigger.paths_ignore is not None:
        kind = "paths" if trigger.paths is not None else "paths-ignore"
        return Verdict(
            "filtered",
            f"its {kind} filter skips pull requests that change no matching file, and a "
            "skipped workflow leaves the check pending",
            trigger.line,
        )
    if trigger.types is not None and not {"opened", "synchronize"} <= set(trigger.types):
        kinds = ", ".join(trigger.types) or "none"
        return Verdict(
            "filtered",
            f"its activity types ({kinds}) leave out opened or synchronize: a new commit "
            "may never get the check",
            trigger.line,
        )
    return None

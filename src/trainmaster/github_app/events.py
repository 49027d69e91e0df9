"""Processing a stored delivery (the `github.webhook` job): pull requests drive previews,
completed checks are recorded for their commit, and a deployment protection rule is answered
(`answering.py`). Each step returns its outcome and whether the delivery is finished; an
unfinished one (a protection rule still waiting) is looked at again by a follow-up job."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trainmaster.store import deliveries

if TYPE_CHECKING:
    from trainmaster.jobs.runner import JobContext
    from trainmaster.ports import Backends
    from trainmaster.store.deliveries import Delivery


@dataclass(frozen=True)
class Step:
    outcome: str
    done: bool = True


Process = Callable[["Backends", "JobContext", "Delivery", dict[str, Any]], Step]


def process(backends: Backends, ctx: JobContext) -> Mapping[str, Any]:
    """The job: once per delivery (a finished delivery is skipped, so a job run twice after a
    crash, or a redelivery, changes nothing); a failure is recorded and retried by the runner."""
    ident = str(ctx.job.payload["delivery"])
    store = backends.store
    with store.transaction() as session:
        delivery = deliveries.get(session, ident)
    if delivery is None or delivery.processed_at is not None:
        return {"delivery": ident, "skipped": "already processed"}
    try:
        step = _step_for(delivery.event)(backends, ctx, delivery, json.loads(delivery.payload))
    except Exception as error:
        with store.transaction() as session:
            deliveries.record(session, ident, f"failed: {error}", processed_at=None)
        raise
    with store.transaction() as session:
        done_at = backends.clock() if step.done else None
        deliveries.record(session, ident, step.outcome, processed_at=done_at)
    return {"delivery": ident, "outcome": step.outcome, "done": step.done}


def _step_for(event: str) -> Process:
    from trainmaster.github_app.answering import protection_rule

    steps: dict[str, Process] = {
        "deployment_protection_rule": protection_rule,
        "pull_request": pull_request,
        "check_suite": checks_completed,
        "check_run": checks_completed,
        "workflow_run": checks_completed,
        "push": push,
    }
    return steps[event]


def pull_request(
    backends: Backends, ctx: JobContext, delivery: Delivery, payload: dict[str, Any]
) -> Step:
    """Opened, synchronize, reopened: preview up; closed: preview down. Only the newest event
    of the pull request (by its `updated_at`) acts, so a `closed` received before a late
    `opened` leaves no preview behind."""
    from trainmaster.rollout.preview_use_cases import (
        PreviewDownInput,
        PreviewUpInput,
        preview_down,
        preview_up,
    )

    if "preview" not in backends.policy.stages:
        return Step("ignored: the policy has no preview stage")
    with backends.store.transaction() as session:
        newer = newest(deliveries.about(session, delivery.subject))
    if newer is not None and newer.delivery != delivery.delivery:
        return Step(f"superseded by {newer.delivery} ({newer.event}.{newer.action})")
    number = int(payload["number"])
    who = backends.policy.automation.actor
    reason = f"pull request #{number} {delivery.action} (delivery {delivery.delivery})"
    if delivery.action == "closed":
        down = preview_down(backends, PreviewDownInput(who, number, reason))
        return Step(f"preview down: {down.namespace} ({'deleted' if down.deleted else 'absent'})")
    up = preview_up(backends, PreviewUpInput(who, number, reason=reason))
    return Step(f"preview up: {up.namespace} ({up.result})")


def push(backends: Backends, ctx: JobContext, delivery: Delivery, payload: dict[str, Any]) -> Step:
    """A push to the default branch: the next train as it would be cut now (version, commits),
    from the work tree trainmaster cuts from; the outcome says when that tree is behind."""
    from trainmaster.train.use_cases import preview_cut

    default = (payload.get("repository") or {}).get("default_branch", "")
    ref, after = str(payload.get("ref", "")), str(payload.get("after", ""))
    if ref != f"refs/heads/{default}":
        return Step(f"ignored: push to {ref}, not the default branch")
    preview = preview_cut(backends)
    tip = str(preview.get("commit") or "")
    behind = "" if tip == after else f"; the work tree is at {tip[:12]}, GitHub at {after[:12]}"
    commits = len(preview.get("commits", []))
    return Step(f"next train: {preview['version']} ({commits} commits){behind}")


def newest(found: list[Delivery]) -> Delivery | None:
    """The delivery that happened last (GitHub's timestamp; ties: the one received last)."""
    dated = [(d.happened_at, i, d) for i, d in enumerate(found) if d.happened_at is not None]
    return max(dated, key=lambda item: (item[0], item[1]))[2] if dated else None


def checks_completed(
    backends: Backends, ctx: JobContext, delivery: Delivery, payload: dict[str, Any]
) -> Step:
    """The `ci-checks` conclusion of a commit, kept on the delivery (subject `commit:…`) and
    read back by `ci_checks` below."""
    run = payload[delivery.event]
    name = run.get("name") or (run.get("app") or {}).get("slug") or delivery.event
    return Step(f"ci-checks {name}: {run.get('conclusion')} for {run.get('head_sha', '')}")


def ci_checks(backends: Backends, repository: str, sha: str) -> dict[str, str]:
    """The latest conclusion of each check GitHub reported as completed for `sha`."""
    with backends.store.transaction() as session:
        found = deliveries.about(session, f"commit:{repository}@{sha}")
    latest: dict[str, str] = {}
    for delivery in found:
        if delivery.processed_at is None or not delivery.outcome.startswith("ci-checks "):
            continue
        name, _, rest = delivery.outcome.removeprefix("ci-checks ").partition(": ")
        latest[name] = rest.split(" for ", 1)[0]
    return latest

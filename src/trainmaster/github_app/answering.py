"""Answering a `deployment_protection_rule` delivery: find the train cut from the deployment's
commit, decide (`protection.decide`) and tell GitHub through
`POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule` with the App's
installation token. While the answer is `wait`, or GitHub cannot be reached, a follow-up job
looks again a little later, until the deadline; then the run is rejected."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from trainmaster.errors import ExternalError
from trainmaster.github_app.events import Step
from trainmaster.github_app.protection import DEADLINE, Answer, Verdict, decide
from trainmaster.jobs.model import JobSpec
from trainmaster.store.models import TrainRow
from trainmaster.train.model import TrainState

if TYPE_CHECKING:
    from trainmaster.jobs.runner import JobContext
    from trainmaster.ports import Backends
    from trainmaster.store.deliveries import Delivery

RECHECK = timedelta(seconds=10)  # gates and approvals move in minutes; ten seconds is prompt
GIVE_UP = timedelta(hours=24)  # after the deadline, how long a rejection is still retried
RULE = "deployment_protection_rule"
RUN = re.compile(r"/repos/([^/]+)/([^/]+)/actions/runs/(\d+)/deployment_protection_rule$")


def protection_rule(
    backends: Backends, ctx: JobContext, delivery: Delivery, payload: dict[str, Any]
) -> Step:
    environment = str(payload.get("environment") or "")
    sha = str((payload.get("deployment") or {}).get("sha") or "")
    run_id = run_of(payload, delivery.repository)
    if not environment or not sha or run_id is None:
        return Step("ignored: no environment, deployment commit or run to answer")
    now, deadline = backends.clock(), delivery.received_at + DEADLINE
    verdict = decide(train_for(backends, sha), environment, sha, now, deadline)
    if verdict.answer is Answer.WAIT:
        again(ctx, now + RECHECK)
        return Step("waiting: " + "; ".join(verdict.reasons), done=False)
    try:
        answer(backends, delivery.repository, run_id, environment, verdict)
    except ExternalError as error:
        if not error.temporary or now >= deadline + GIVE_UP:
            raise  # GitHub refused the answer, or has been down for a day: the job fails
        again(ctx, now + RECHECK)  # GitHub is down: never approve by default, ask again
        return Step(f"{verdict.answer.value}, not delivered ({error.message}); retrying", False)
    return Step(f"{verdict.answer.value}: " + ("; ".join(verdict.reasons) or "all rules met"))


def run_of(payload: dict[str, Any], repository: str) -> int | None:
    """The workflow run from `deployment_callback_url`. Only its run id is used: the request
    goes to the policy's own API base, never to a host named in the payload."""
    found = RUN.search(str(payload.get("deployment_callback_url") or ""))
    if found is None or f"{found[1]}/{found[2]}".casefold() != repository.casefold():
        return None
    return int(found[3])


def train_for(backends: Backends, sha: str) -> TrainState | None:
    """The newest train cut from `sha`, as the train engine sees it now."""
    from trainmaster.train.records import load_state
    from trainmaster.train.rules import stage_rules
    from trainmaster.train.schedule import freeze_at

    with backends.store.transaction() as session:
        row = session.execute(
            select(TrainRow).where(TrainRow.commit_sha == sha)
            .order_by(TrainRow.created_at.desc()).limit(1)
        ).scalar_one_or_none()  # fmt: skip
        if row is None:
            return None
        found = freeze_at(backends.policy.train, backends.clock())
        frozen = f"{found.name}: {found.reason}" if found else None
        return load_state(session, row.id, stage_rules(backends.policy, row.kind), frozen)


def answer(
    backends: Backends, repository: str, run_id: int, environment: str, verdict: Verdict
) -> None:
    from trainmaster.adapters.github import client_for

    body = {
        "environment_name": environment,
        "state": verdict.answer.value,
        "comment": verdict.comment(environment),
    }
    # One attempt here: the follow-up job is the retry, so the runner thread is not held.
    client = client_for(backends.policy, max_attempts=1)
    try:
        client.write("POST", f"/repos/{repository}/actions/runs/{run_id}/{RULE}", body)
    finally:
        client.close()


def again(ctx: JobContext, at: datetime) -> None:
    n = int(ctx.job.payload.get("n", 0)) + 1
    base = ctx.job.key.split("#", 1)[0]
    payload = {**ctx.job.payload, "n": n}
    ctx.enqueue(JobSpec(ctx.job.kind, f"{base}#{n}", at, payload, max_attempts=10))

"""Emulated `POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`: an App
answering a custom deployment protection rule for a run held on an environment (seeded with
`State.add_waiting_run`). The request is validated against the OpenAPI description like every
other; an answer for a run or environment that is not waiting is refused (422), as GitHub does."""

from __future__ import annotations

from tests.emulators.github.core import Call, Reply
from tests.emulators.github.routes_governance import NOT_FOUND, repo_of, st


def review(call: Call) -> Reply:
    if repo_of(call) is None:
        return NOT_FOUND
    key = (f"{call.params['owner']}/{call.params['repo']}", int(call.params["run_id"]))
    environment = call.body.get("environment_name") if isinstance(call.body, dict) else None
    waiting = st().waiting_runs.get(key, set())
    if environment not in waiting:
        return Reply(422, {"message": f"No pending deployment protection rule for {environment}"})
    waiting.discard(environment)
    st().protection_answers.append({"repo": key[0], "run_id": key[1], **call.body})
    return Reply(204)

"""Emulated check runs of a commit (`GET /repos/{owner}/{repo}/commits/{ref}/check-runs`), as the
generated workflows read the CI checks' conclusion. Seeded with `State.add_check_run`."""

from __future__ import annotations

from typing import Any

from tests.emulators.github.core import Call, Reply
from tests.emulators.github.routes_governance import NOT_FOUND, repo_of, st


def _view(key: str, run: dict[str, Any]) -> dict[str, Any]:
    s = st()
    done = run["status"] == "completed"
    return s.obj(
        "check-run",
        id=run["id"],
        node_id=f"CR_{run['id']}",
        head_sha=run["sha"],
        name=run["name"],
        status=run["status"],
        conclusion=run["conclusion"] if done else None,
        started_at="2026-01-01T00:00:00Z",
        completed_at="2026-01-01T00:05:00Z" if done else None,
        url=f"{s.base}/api/v3/repos/{key}/check-runs/{run['id']}",
        html_url=f"{s.base}/{key}/runs/{run['id']}",
        details_url=f"{s.base}/{key}/actions/runs/{run['id']}",
        external_id=str(run["id"]),
        output={
            "title": None,
            "summary": None,
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{s.base}/api/v3/repos/{key}/check-runs/{run['id']}/annotations",
        },
        check_suite={"id": 1},
        app=None,
        pull_requests=[],
    )


def list_for_ref(call: Call) -> Reply:
    if repo_of(call) is None:
        return NOT_FOUND
    key = f"{call.params['owner']}/{call.params['repo']}"
    runs = [r for r in st().check_runs.get(key, []) if r["sha"] == call.params["ref"]]
    if call.query.get("filter", "latest") == "latest":
        latest: dict[str, dict[str, Any]] = {}
        for run in runs:  # the newest run of each name
            latest[run["name"]] = run
        runs = list(latest.values())
    return Reply(200, {"total_count": len(runs), "check_runs": [_view(key, r) for r in runs]})


def run_approvals(call: Call) -> Reply:
    """`GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals`: the environment reviews of a
    run, seeded with `State.add_run_approval` (as the workflow runner's reviewers approve)."""
    if repo_of(call) is None:
        return NOT_FOUND
    s = st()
    key = f"{call.params['owner']}/{call.params['repo']}"
    items = []
    for review in s.run_approvals.get((key, int(call.params["run_id"])), []):
        environment = {
            "id": 1,
            "node_id": "EN_1",
            "name": review["environment"],
            "url": f"{s.base}/api/v3/repos/{key}/environments/{review['environment']}",
            "html_url": f"{s.base}/{key}/deployments",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        }
        items.append(
            s.obj(
                "environment-approvals",
                environments=[environment],
                state=review["state"],
                user=s.user_obj(review["login"]),
                comment=review["comment"],
            )
        )
    return Reply(200, items)

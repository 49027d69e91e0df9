"""Bad input and faults: one clear line per repo, others continue, reruns converge, no duplicates."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.emulators.github.fixtures import GitHubEmulator
from tests.governance.conftest import populate, seed_for


def policy_for(emulator: GitHubEmulator, tmp_path: Path, repos: list[str]) -> Path:
    path = tmp_path / "trainmaster.yaml"
    path.write_text(seed_for(emulator.url, repos, tmp_path), encoding="utf-8")
    return path


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error: ")]


def written_repos(emulator: GitHubEmulator) -> set[str]:
    return {"/".join(w.path.split("/")[2:4]) for w in emulator.writes()}


def test_unknown_team_stops_that_org_before_any_write(
    cli, github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    populate(github_emulator, ["acme/api"])
    github_emulator.state.add_repo("beta/app")  # org beta has no such teams
    policy = policy_for(github_emulator, tmp_path, ["acme/api", "beta/app"])
    result = cli("--policy", str(policy), "apply", "--yes", "--reason", "onboard the repos")
    assert result.code == 2
    (line, summary) = error_lines(result.err)
    assert line.startswith("error: beta/app: governance.environments.stage.reviewers.0.team")
    assert "unknown team 'release-captains' in beta" in line
    assert "cannot be planned" in summary
    assert written_repos(github_emulator) == {"acme/api"}
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing", "acme/ghost: GET /repos/acme/ghost/rulesets: not found"),
        ("forbidden", "acme/ghost: GET /repos/acme/ghost/rulesets: forbidden (missing permission)"),
    ],
)
def test_missing_repo_or_permission_is_external_and_others_continue(
    cli, github_emulator: GitHubEmulator, tmp_path: Path, setup: str, expected: str
) -> None:
    populate(github_emulator, ["acme/api"])
    if setup == "forbidden":
        github_emulator.state.add_repo("acme/ghost").forbidden = True
    policy = policy_for(github_emulator, tmp_path, ["acme/api", "acme/ghost"])
    result = cli("--policy", str(policy), "apply", "--yes", "--reason", "onboard the repos")
    assert result.code == 4
    assert error_lines(result.err)[0].startswith(f"error: {expected}")
    assert written_repos(github_emulator) == {"acme/api"}


def test_a_422_stops_the_repo_reports_what_landed_and_the_rerun_resumes(
    cli, github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    populate(github_emulator, ["acme/api", "acme/web"])
    policy = policy_for(github_emulator, tmp_path, ["acme/api", "acme/web"])
    github_emulator.fail(
        "status", method="PUT", path=r"^/repos/acme/api/environments/prod$", status=422
    )
    result = cli(
        "--policy", str(policy), "--json", "apply", "--yes", "--reason", "onboard the repos"
    )
    assert result.code == 4
    outcome = {r["repo"]: r for r in json.loads(result.out)["repos"]}
    api = outcome["acme/api"]
    assert [a["resource"] for a in api["landed"]] == [
        "ruleset:trainmaster: default branch",
        "ruleset:trainmaster: release branches",
        "ruleset:trainmaster: release tags",
    ]
    assert api["failed"]["resource"] == "environment:prod"
    assert "rejected by GitHub (HTTP 422)" in api["error"]
    assert len(api["not_attempted"]) == 6
    assert outcome["acme/web"]["failed"] is None and len(outcome["acme/web"]["landed"]) == 10
    rerun = cli(
        "--policy", str(policy), "--json", "apply", "--yes", "--reason", "onboard the repos"
    )
    assert rerun.code == 0, rerun.err
    resumed = {r["repo"]: r for r in json.loads(rerun.out)["repos"]}
    assert len(resumed["acme/api"]["landed"]) == 7 and resumed["acme/web"]["landed"] == []


@pytest.mark.slow
def test_faults_are_retried_and_a_lost_response_converges_without_duplicates(
    cli, github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    populate(github_emulator, ["acme/api"])
    policy = policy_for(github_emulator, tmp_path, ["acme/api"])
    github_emulator.fail("status", method="GET", path="/rulesets$", status=503)
    github_emulator.fail("secondary", method="POST", path="/rulesets$", retry_after=0)
    github_emulator.fail("rate-limit", method="PUT", path="/environments/stage$", retry_after=0)
    github_emulator.fail("status", method="PUT", path="/environments/prod$", status=502)
    # GitHub creates this branch policy but the connection drops before the answer
    github_emulator.fail("drop-after", method="POST", path="/prod/deployment-branch-policies$")
    first = cli("--policy", str(policy), "apply", "--yes", "--reason", "onboard the repos")
    assert first.code == 4
    assert "no response from GitHub" in first.err
    assert github_emulator.secondary_sent == 1
    second = cli("--policy", str(policy), "apply", "--yes", "--reason", "onboard the repos")
    assert second.code == 0, second.err
    assert cli("--policy", str(policy), "drift").code == 0
    state = github_emulator.state
    assert len(state.rulesets["acme/api"]) == 3
    names = Counter(p["name"] for p in state.branch_policies[("acme/api", "prod")].values())
    assert names == {"release/*": 1, "hotfix/*": 1}
    posts = Counter(w.path for w in github_emulator.writes() if w.method == "POST")
    assert posts["/repos/acme/api/rulesets"] == 3  # the limited POST was re-sent, never doubled


def test_dropped_connection_on_a_read_is_retried(
    cli, github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    populate(github_emulator, ["acme/api"])
    policy = policy_for(github_emulator, tmp_path, ["acme/api"])
    github_emulator.fail("drop", method="GET", path="/environments$")
    github_emulator.fail("slow", method="GET", path="/rulesets$", delay=0.2)
    result = cli("--policy", str(policy), "plan", "--json")
    assert result.code == 0, result.err
    assert len(json.loads(result.out)["repos"][0]["actions"]) == 10


def test_missing_token_is_a_policy_error_naming_the_variable(
    cli, github_emulator: GitHubEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(github_emulator, ["acme/api"])
    policy = policy_for(github_emulator, tmp_path, ["acme/api"])
    monkeypatch.delenv("GITHUB_TOKEN")
    result = cli("--policy", str(policy), "plan")
    assert result.code == 2
    assert error_lines(result.err) == [
        "error: github.auth.token_env: the environment variable GITHUB_TOKEN is not set"
    ]
    assert github_emulator.requests == []

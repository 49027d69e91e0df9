"""plan → apply → apply (no-op) → manual change → drift, over HTTP against the emulator."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.emulators.github.fixtures import TOKEN, GitHubEmulator
from trainmaster.audit import AuditLog
from trainmaster.store import open_store


def run(cli, policy: Path, *args: str):  # type: ignore[no-untyped-def]
    return cli("--policy", str(policy), *args)


@pytest.mark.slow
def test_seed_plan_json_then_apply_then_noop_then_drift(
    cli, github_emulator: GitHubEmulator, policy_file: Path
) -> None:
    plan = run(cli, policy_file, "plan", "--json")
    assert plan.code == 0, plan.err
    doc = json.loads(plan.out)
    assert [r["repo"] for r in doc["repos"]] == ["acme/api", "acme/web"]
    for repo in doc["repos"]:
        assert len(repo["actions"]) == 10
        for action in repo["actions"]:
            assert set(action) == {"op", "resource", "method", "path", "body"}
    assert github_emulator.writes() == []  # planning never writes

    applied = run(cli, policy_file, "apply", "--yes", "--reason", "onboard the repos")
    assert applied.code == 0, applied.err
    assert len(github_emulator.writes()) == 20
    state = github_emulator.state
    assert len(state.rulesets["acme/api"]) == 3
    assert set(state.environments["acme/web"]) == {"stage", "prod"}
    prod = state.environments["acme/web"]["prod"]
    assert prod["wait_timer"] == 10 and prod["prevent_self_review"] is True
    team_ids = {state.teams[("acme", "release-captains")]["id"], state.teams[("acme", "sre")]["id"]}
    assert {r["id"] for r in prod["reviewers"]} == team_ids
    patterns = {
        (p["name"], p["type"]) for p in state.branch_policies[("acme/web", "stage")].values()
    }
    assert patterns == {("release/*", "branch"), ("hotfix/*", "branch"), ("main", "branch")}

    before = len(github_emulator.writes())
    again = run(cli, policy_file, "apply", "--yes", "--reason", "onboard the repos")
    assert again.code == 0 and "no changes" in again.out
    assert len(github_emulator.writes()) == before
    assert run(cli, policy_file, "drift").code == 0

    # someone lowers the review count and drops a reviewer by hand
    ruleset = next(r for r in state.rulesets["acme/web"].values() if "default" in r["name"])
    next(r for r in ruleset["rules"] if r["type"] == "pull_request")["parameters"][
        "required_approving_review_count"
    ] = 1
    ruleset["updated_at"] = state.now()
    prod["reviewers"] = prod["reviewers"][:1]
    drift = run(cli, policy_file, "drift", "--json")
    assert drift.code == 1
    drifted = {r["repo"]: r["actions"] for r in json.loads(drift.out)["repos"]}
    assert drifted["acme/api"] == []
    assert {a["resource"] for a in drifted["acme/web"]} == {
        "ruleset:trainmaster: default branch",
        "environment:prod",
    }
    human = run(cli, policy_file, "drift")
    assert "required_approving_review_count" in human.out and human.code == 1
    assert run(cli, policy_file, "apply", "--yes", "--reason", "onboard the repos").code == 0
    assert run(cli, policy_file, "drift").code == 0


def test_every_write_is_audited_without_the_token(
    cli, github_emulator: GitHubEmulator, policy_file: Path, tmp_path: Path
) -> None:
    result = cli(
        "--policy", str(policy_file), "--actor", "arborist", "apply", "--yes", "--reason", "onboard"
    )
    assert result.code == 0, result.err
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}", tmp_path)
    events = list(AuditLog(store).events(action="governance.apply"))
    assert len(events) == len(github_emulator.writes()) == 20
    assert events[0].actor == "arborist" and events[0].reason == "onboard"
    assert events[0].target == "github:acme/api"
    assert AuditLog(store).verify() is None
    blob = json.dumps([e.as_dict() for e in events]) + result.out + result.err
    assert TOKEN not in blob
    store.dispose()


def test_dry_run_and_missing_yes_write_nothing(
    cli, github_emulator: GitHubEmulator, policy_file: Path
) -> None:
    dry = run(cli, policy_file, "apply", "--dry-run")
    assert dry.code == 0 and "ruleset:trainmaster: release tags" in dry.out
    refused = run(cli, policy_file, "apply")
    assert refused.code == 2 and "--yes" in refused.err
    assert github_emulator.writes() == []


@pytest.mark.slow
def test_explain_prints_gh_api_commands_that_really_work(
    cli, github_emulator: GitHubEmulator, policy_file: Path, tmp_path: Path
) -> None:
    script = run(cli, policy_file, "plan", "--explain")
    assert script.code == 0
    assert "gh api --hostname" in script.out and "--input acme-api-01.json" in script.out
    assert " -F " not in script.out and "/tags/protection" not in script.out
    bindir = tmp_path / "bin"
    bindir.mkdir()
    gh = bindir / "gh"
    fake = Path(__file__).with_name("fake_gh.py")
    gh.write_text(f'#!/bin/sh\nexec {sys.executable} {fake} "$@"\n')
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    workdir = tmp_path / "explain"
    workdir.mkdir()
    (workdir / "plan.sh").write_text(script.out)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "GH_TOKEN": TOKEN}
    done = subprocess.run(
        ["bash", "plan.sh"],
        check=False,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    # the commands made GitHub match the policy: nothing left to do
    assert run(cli, policy_file, "drift").code == 0


@pytest.mark.parametrize("target", ["repo", "org"])
def test_repos_come_from_flags_or_an_org_selection(
    cli, github_emulator: GitHubEmulator, policy_file: Path, target: str
) -> None:
    github_emulator.state.add_repo("acme/legacy-tool")
    if target == "repo":
        args = ["--repo", "acme/web"]
        expected = ["acme/web"]
    else:
        args = ["--org", "acme", "--exclude", "legacy-*"]
        expected = ["acme/api", "acme/web"]
    plan = run(cli, policy_file, "plan", "--json", *args)
    assert plan.code == 0, plan.err
    assert [r["repo"] for r in json.loads(plan.out)["repos"]] == expected

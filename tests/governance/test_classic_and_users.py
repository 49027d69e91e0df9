"""Classic branch protection mode and user reviewers, end to end against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

from tests.emulators.github.fixtures import GitHubEmulator
from tests.governance.conftest import populate, seed_for


def write_policy(emulator: GitHubEmulator, tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = seed_for(emulator.url, ["acme/api"], tmp_path)
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "trainmaster.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_classic_protection_is_applied_once_and_pinned_to_the_app(
    cli, github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    populate(github_emulator, ["acme/api"])
    policy = write_policy(github_emulator, tmp_path, ("mode: rulesets", "mode: branch-protection"))
    first = cli("--policy", str(policy), "apply", "--yes", "--reason", "onboard the repos")
    assert first.code == 0, first.err
    protection = github_emulator.state.protections[("acme/api", "main")]
    assert protection["enforce_admins"] is True and protection["signatures"] is True
    assert protection["restrictions"] is None
    checks = protection["required_status_checks"]
    assert checks["strict"] is True and len(checks["checks"]) == 17
    assert {c["app_id"] for c in checks["checks"]} == {15368}
    assert protection["required_pull_request_reviews"]["required_approving_review_count"] == 2
    assert len(github_emulator.state.rulesets["acme/api"]) == 2  # release/* and v* only
    writes = len(github_emulator.writes())
    assert cli("--policy", str(policy), "apply", "--yes", "--reason", "onboard the repos").code == 0
    assert len(github_emulator.writes()) == writes
    protection["signatures"] = False  # someone turned signed commits off
    drift = cli("--policy", str(policy), "drift", "--json")
    assert drift.code == 1
    (action,) = json.loads(drift.out)["repos"][0]["actions"]
    assert action["method"] == "POST" and action["path"].endswith("/protection/required_signatures")


def test_user_reviewers_resolve_by_login_and_unknown_login_is_named(
    cli, github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    populate(github_emulator, ["acme/api"])
    octo = github_emulator.state.add_user("octocat")
    policy = write_policy(
        github_emulator,
        tmp_path,
        ("        - team: sre\n", "        - team: sre\n        - user: octocat\n"),
    )
    assert cli("--policy", str(policy), "apply", "--yes", "--reason", "onboard the repos").code == 0
    reviewers = github_emulator.state.environments["acme/api"]["prod"]["reviewers"]
    assert {"type": "User", "id": octo["id"]} in reviewers
    assert cli("--policy", str(policy), "drift").code == 0
    policy = write_policy(
        github_emulator,
        tmp_path,
        ("        - team: sre\n", "        - team: sre\n        - user: nobody-here\n"),
    )
    result = cli("--policy", str(policy), "plan")
    assert result.code == 2
    assert "governance.environments.prod.reviewers.2.user: unknown user 'nobody-here'" in result.err


def test_switching_to_classic_mode_retires_the_default_branch_ruleset_after_protecting(
    cli, github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    populate(github_emulator, ["acme/api"])
    policy = write_policy(github_emulator, tmp_path)
    assert cli("--policy", str(policy), "apply", "--yes", "--reason", "onboard the repos").code == 0
    policy = write_policy(github_emulator, tmp_path, ("mode: rulesets", "mode: branch-protection"))
    plan = json.loads(cli("--policy", str(policy), "plan", "--json").out)
    ops = [(a["method"], a["resource"]) for a in plan["repos"][0]["actions"]]
    assert ops[-1] == ("DELETE", "ruleset:trainmaster: default branch")
    assert ops[0] == ("PUT", "branch-protection:main")
    assert cli("--policy", str(policy), "apply", "--yes", "--reason", "onboard the repos").code == 0
    names = {r["name"] for r in github_emulator.state.rulesets["acme/api"].values()}
    assert names == {"trainmaster: release branches", "trainmaster: release tags"}
    assert cli("--policy", str(policy), "drift").code == 0

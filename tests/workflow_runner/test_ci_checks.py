"""The CI checks' conclusion as the generated step reads it: the commit's check runs through the
REST API (the GitHub emulator), every CI context of the policy, polled until none is pending."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.emulators.github.fixtures import TOKEN, GitHubEmulator
from tests.workflow_runner.conftest import ACTION, make_remote
from trainmaster.checks.generate import generate
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text

SEED = parse_policy(seed_policy_text("acme", "maestro"))
SHA = "c" * 40
CI = [c for c in SEED.checks.contexts if not c.endswith("(staging)")]


def _workflow(tmp: Path) -> Path:
    """The generated rollout gate's CI step alone, in a job the runner can dispatch."""
    staging = next(
        f for f in generate(SEED, "0.1.0", action=ACTION).files if f.name == "staging.yml"
    )
    steps = yaml.safe_load(staging.text)["jobs"]["rollout-gate-staging"]["steps"]
    (step,) = [s for s in steps if s.get("id") == "ci"]
    step["env"] |= {"SHA": SHA, "POLL_SECONDS": "0", "POLL_LIMIT_SECONDS": "0"}
    job = {"runs-on": "ubuntu-latest", "outputs": {"ci": "${{ steps.ci.outputs.conclusion }}"}}
    workflow = {"on": "workflow_dispatch", "jobs": {"ci": job | {"steps": [step]}}}
    path = tmp / "ci.yml"
    path.write_text(yaml.safe_dump(workflow, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("runs", "conclusion"),
    [
        ({c: ("completed", "success") for c in CI}, "success"),
        ({c: ("completed", "skipped" if c == "e2e-tests" else "success") for c in CI}, "success"),
        ({c: ("completed", "failure" if c == "e2e-tests" else "success") for c in CI}, "failure"),
        ({c: ("completed", "cancelled" if c == "build" else "success") for c in CI}, "failure"),
        # one not reported yet (an in-progress run cannot be served: openapi-core rejects the
        # `conclusion: null` GitHub sends, its schema being a nullable enum without null)
        ({c: ("completed", "success") for c in CI[1:]}, "pending"),
    ],
)
def test_the_conclusion_covers_every_ci_context(
    tmp_path: Path,
    github_emulator: GitHubEmulator,
    runner_for: Any,
    runs: dict[str, tuple[str, str]],
    conclusion: str,
) -> None:
    github_emulator.state.add_repo("acme/maestro")
    github_emulator.state.add_check_run("acme/maestro", "d" * 40, "build", conclusion="failure")
    github_emulator.state.add_check_run("acme/maestro", SHA, "unrelated", conclusion="failure")
    for name, (status, result) in runs.items():
        github_emulator.state.add_check_run("acme/maestro", SHA, name, status, result)
    _, remote = make_remote(tmp_path, {"README.md": "x\n"})
    runner = runner_for(remote, api_url=github_emulator.url, secrets={"GITHUB_TOKEN": TOKEN})
    run = runner.run(_workflow(tmp_path))
    assert run.jobs["ci"].outputs == {"ci": conclusion}, run.jobs["ci"].log


def test_a_rerun_check_counts_by_its_latest_run(
    tmp_path: Path, github_emulator: GitHubEmulator, runner_for: Any
) -> None:
    github_emulator.state.add_repo("acme/maestro")
    for name in CI:
        github_emulator.state.add_check_run("acme/maestro", SHA, name, conclusion="failure")
        github_emulator.state.add_check_run("acme/maestro", SHA, name)  # re-run, green
    _, remote = make_remote(tmp_path, {"README.md": "x\n"})
    runner = runner_for(remote, api_url=github_emulator.url, secrets={"GITHUB_TOKEN": TOKEN})
    assert runner.run(_workflow(tmp_path)).jobs["ci"].outputs == {"ci": "success"}

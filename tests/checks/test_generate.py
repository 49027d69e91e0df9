"""Generated workflows: exactly the policy's contexts, actionlint-clean, lint-clean, never clobbered."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.checks.conftest import Lint
from trainmaster.checks.generate import PINS, generate, job_id
from trainmaster.checks.service import analyse, lint_repository
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import UsageError

SEED = parse_policy(seed_policy_text("acme", "maestro"))
ACTION = "acme/trainmaster@" + "5" * 40


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("repo") / ".github/workflows"
    out.mkdir(parents=True)
    for file in generate(SEED, "0.1.0", action=ACTION).files:
        (out / file.name).write_text(file.text, encoding="utf-8")
    return out


def test_every_generated_workflow_passes_actionlint(generated: Path, actionlint: Lint) -> None:
    files = sorted(generated.glob("*.yml"))
    assert [f.name for f in files] == [
        "ci.yml",
        "preview-cleanup.yml",
        "release-train.yml",
        "staging.yml",
    ]
    assert actionlint(files) == {str(f): [] for f in files}


def test_actionlint_is_real_and_finds_problems(tmp_path: Path, actionlint: Lint) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    (found,) = actionlint([bad]).values()
    assert found and "untrusted" in found[0]["message"]


def test_job_names_are_exactly_the_policy_contexts(generated: Path) -> None:
    analysis = analyse(generated, "main")
    reported = [c.context for c in analysis.pull_request_checks()]
    for context in SEED.checks.contexts:
        assert reported.count(context) == 1, context


def test_the_generated_set_lints_clean_against_the_seed(generated: Path) -> None:
    policy_file = generated.parents[1] / "trainmaster.yaml"
    policy_file.write_text(seed_policy_text("acme", "maestro"))
    _, findings = lint_repository(generated, SEED, policy_file)
    assert findings == []


def test_release_train_and_cleanup_do_what_the_plan_says(generated: Path) -> None:
    train = yaml.safe_load((generated / "release-train.yml").read_text())
    assert train[True]["schedule"] == [{"cron": "0 18 * * 4"}]  # PyYAML reads `on` as True
    assert "workflow_dispatch" in train[True]
    jobs = train["jobs"]
    assert list(jobs) == [
        "cut",
        "build",
        "stage-deploy",
        "stage-verify",
        "stage-promote",
        "prod-deploy",
        "prod-verify",
        "prod-promote",
        "watch",
    ]
    chain = {name: job["needs"] for name, job in jobs.items() if "needs" in job}
    assert chain == {
        "build": "cut",
        "stage-deploy": ["cut", "build"],
        "stage-verify": ["cut", "stage-deploy"],
        "stage-promote": ["cut", "stage-verify"],
        "prod-deploy": ["cut", "stage-promote"],
        "prod-verify": ["cut", "prod-deploy"],
        "prod-promote": ["cut", "prod-verify"],
        "watch": ["cut", "prod-promote"],
    }
    assert {n for n, j in jobs.items() if "environment" in j} == {"stage-promote", "prod-promote"}
    assert jobs["prod-promote"]["environment"] == "prod"
    assert jobs["prod-promote"]["permissions"] == {"contents": "read", "actions": "read"}
    runs = " ".join(str(s.get("run", "")) for s in jobs["prod-promote"]["steps"])
    assert "/actions/runs/$GITHUB_RUN_ID/approvals" in runs
    assert 'approve "$TRAIN" --env prod --reason "$comment"' in runs
    assert train["concurrency"] == {"group": "release-train", "cancel-in-progress": False}
    assert _args(jobs["prod-promote"])[-1] == 'promote "$TRAIN" --env prod --reason "$REASON"'
    assert _args(jobs["prod-deploy"])[-1] == 'train deploy "$TRAIN" --env prod'
    assert _args(jobs["stage-verify"])[-1] == (
        'train verify "$TRAIN" --env stage --smoke reports/smoke.xml '
        '--k6 reports/k6-summary.json --ci-checks "$CI_CHECKS"'
    )
    assert _args(jobs["prod-verify"])[-1] == 'train verify "$TRAIN" --env prod'
    # the new colour is measured for the longest window/for of the stage's signals
    # (saturation's 10m; burn-rate's hour-long windows are the watch's)
    for name in ("stage-verify", "prod-verify"):
        steps = jobs[name]["steps"]
        settle = [s["run"] for s in steps if str(s.get("run")).startswith("sleep")]
        assert settle == ["sleep 600"], name
    assert _args(jobs["watch"])[-1] == 'gate watch --env prod --train "$TRAIN"'
    assert jobs["cut"]["outputs"]["train"] == "${{ steps.cut.outputs.train }}"
    cut = next(s for s in jobs["cut"]["steps"] if s.get("id") == "cut")["run"]
    assert "trainmaster train resume" in cut and "trainmaster --json train cut" in cut
    cleanup = yaml.safe_load((generated / "preview-cleanup.yml").read_text())
    assert cleanup[True]["pull_request"] == {"types": ["closed"]}
    teardown = cleanup["jobs"]["teardown"]["steps"][-1]
    assert teardown["run"] == 'trainmaster preview down --pr "$PR_NUMBER"'
    assert teardown["env"]["PR_NUMBER"] == "${{ github.event.pull_request.number }}"


def _args(job: dict[str, Any]) -> list[str]:
    """The trainmaster command lines a job runs through the action (after the install)."""
    return [
        s["with"]["args"]
        for s in job["steps"]
        if s.get("uses", "") == ACTION and s["with"]["args"] != "--version"
    ]


def test_the_watch_lasts_as_long_as_the_policy_says() -> None:
    def timeout(text: str) -> int:
        files = {f.name: f.text for f in generate(parse_policy(text), "0.1.0", action=ACTION).files}
        return int(yaml.safe_load(files["release-train.yml"])["jobs"]["watch"]["timeout-minutes"])

    seed = seed_policy_text("acme", "maestro")
    assert timeout(seed) == 30 + 15
    assert timeout(seed.replace("for: 30m   ", "for: 2h    ")) == 120 + 15
    assert timeout(seed.replace("for: 30m   ", "for: 90s   ")) == 2 + 15
    files = {f.name: f.text for f in generate(parse_policy(_drop_watch(seed)), "0.1.0").files}
    assert "watch" not in yaml.safe_load(files["release-train.yml"])["jobs"]


def _drop_watch(seed: str) -> str:
    lines = seed.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "watch:")
    return "\n".join(lines[:start] + lines[start + 3 :]) + "\n"


def test_each_stage_gate_is_evaluated_once_in_staging(generated: Path) -> None:
    staging = yaml.safe_load((generated / "staging.yml").read_text())
    evaluated: list[str] = []
    for job in staging["jobs"].values():
        for args in _args(job):
            if args.startswith("gate run"):
                evaluated += re.findall(r"--only (\S+)", args)
    assert sorted(evaluated) == sorted(SEED.stage("stage").gates)
    rollout = _args(staging["jobs"]["rollout-gate-staging"])
    assert rollout == [
        "gate run --env stage --only ci-checks --only p95-latency --only error-rate "
        '--only saturation --only migrations --ci-checks "$CI_CHECKS"'
    ]
    ci = next(s for s in staging["jobs"]["rollout-gate-staging"]["steps"] if s.get("id") == "ci")
    assert "/commits/$SHA/check-runs" in ci["run"]
    assert json.loads(ci["env"]["CONTEXTS"]) == [
        c for c in SEED.checks.contexts if not c.endswith("(staging)")
    ]
    assert staging["jobs"]["rollout-gate-staging"]["permissions"]["checks"] == "read"
    assert _args(staging["jobs"]["k6-slo-staging"]) == [
        "gate run --env stage --only load --k6 reports/k6-summary.json"
    ]


def test_a_gate_without_its_job_is_named_in_a_warning() -> None:
    text = seed_policy_text("acme", "maestro").replace(
        "    - {context: smoke-tests (staging), purpose: Post-deploy smoke green}\n", ""
    )
    generation = generate(parse_policy(text), "0.1.0", action=ACTION)
    assert any("stage gates smoke" in w for w in generation.warnings), generation.warnings
    assert not [w for w in generate(SEED, "0.1.0", action=ACTION).warnings]


def test_trainmaster_is_installed_only_through_the_pinned_action(generated: Path) -> None:
    for file in generated.glob("*.yml"):
        text = file.read_text()
        assert "pip install" not in text and "trainmaster==" not in text, file.name
        for name, job in yaml.safe_load(text)["jobs"].items():
            steps = job.get("steps", [])
            runs = [i for i, s in enumerate(steps) if "trainmaster " in str(s.get("run", ""))]
            uses = [i for i, s in enumerate(steps) if s.get("uses") == ACTION]
            if runs or uses:
                assert uses and uses[0] < min(runs or [len(steps)]), (file.name, name)
                assert steps[uses[0]]["with"]["version"] == "${{ env.TRAINMASTER_VERSION }}"


def test_the_action_must_be_pinned_by_sha() -> None:
    with pytest.raises(UsageError, match="--action"):
        generate(SEED, "0.1.0", action="acme/trainmaster@v1")
    unpinned = generate(SEED, "0.1.0")
    assert any("pin the trainmaster action" in w for w in unpinned.warnings)


def test_no_untrusted_expression_is_inline_in_a_script(generated: Path) -> None:
    for file in generated.glob("*.yml"):
        for job in yaml.safe_load(file.read_text())["jobs"].values():
            for step in job.get("steps", []):
                assert "${{" not in str(step.get("run", "")), (file.name, step)


def test_permissions_are_least_privilege(generated: Path) -> None:
    for file in generated.glob("*.yml"):
        workflow = yaml.safe_load(file.read_text())
        train = file.name == "release-train.yml"
        assert workflow["permissions"] == ({} if train else {"contents": "read"}), file.name
        for name, job in workflow["jobs"].items():
            granted = {k for k, v in job.get("permissions", {}).items() if v == "write"}
            allowed = {
                "sast-codeql": {"security-events"},
                "terraform-plan": {"id-token"},
                "cut": {"contents"},
                "build": {"packages"},
            }.get(name, set())
            assert granted <= allowed, (file.name, name, granted)
            if train:  # nothing granted at the top: each job says what it needs
                assert job["permissions"]["contents"] in ("read", "write"), name


def test_actions_are_pinned_to_full_commit_shas(generated: Path) -> None:
    uses = re.findall(r"uses: (\S+)(.*)", "".join(f.read_text() for f in generated.glob("*.yml")))
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r" # (v|trainmaster )\d+\.\d+\.\d+", comment), comment
    assert {ref for ref, _ in uses} == {ref for ref, _ in PINS.values()} | {ACTION}


def test_unknown_contexts_get_a_job_that_fails_until_written(tmp_path: Path) -> None:
    text = seed_policy_text("acme", "maestro").replace(
        "    - {context: build,", '    - {context: "lint ($x)"}\n    - {context: build,'
    )
    files = {f.name: f.text for f in generate(parse_policy(text), "0.1.0").files}
    ci = yaml.safe_load(files["ci.yml"])
    job = ci["jobs"]["lint-x"]
    assert job["name"] == "lint ($x)"
    assert "exit 1" in job["steps"][0]["run"] and "$x" not in job["steps"][0]["run"]


def test_job_ids_are_valid_and_unique() -> None:
    taken: set[str] = set()
    assert job_id("rollout-gate (staging)", taken) == "rollout-gate-staging"
    assert job_id("rollout-gate [staging]", taken) == "rollout-gate-staging-2"
    assert job_id("1st check", taken) == "check-1st-check"


def test_generate_never_overwrites_without_force(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("init", "--owner", "acme", "--repo", "maestro").code == 0
    first = cli("checks", "generate")
    assert first.code == 0 and "created" in first.out
    ci = tmp_path / ".github/workflows/ci.yml"
    edited = ci.read_text().replace("make unit-test", "make unit-tests-fast")
    ci.write_text(edited)
    again = cli("checks", "generate")
    assert again.code == 2
    assert "-        run: make unit-tests-fast" in again.out  # the diff is shown
    assert "+        run: make unit-test" in again.out
    assert "--force" in again.err
    assert ci.read_text() == edited
    dry = cli("checks", "generate", "--force", "--dry-run")
    assert dry.code == 0 and ci.read_text() == edited
    forced = cli("checks", "generate", "--force")
    assert forced.code == 0 and "make unit-test\n" in ci.read_text()
    assert "unchanged" in cli("checks", "generate").out


def test_the_stage_named_in_a_context_is_the_policy_stage() -> None:
    text = seed_policy_text("acme", "maestro").replace("\n  stage:\n", "\n  staging:\n")
    text = text.replace("stage: [smoke, error-rate]", "staging: [smoke, error-rate]")
    policy = parse_policy(text)
    staging = {f.name: f.text for f in generate(policy, "0.1.0").files}["staging.yml"]
    assert "args: gate run --env staging" in staging
    seeded = {f.name: f.text for f in generate(SEED, "0.1.0").files}["staging.yml"]
    assert "--env stage " in seeded and "--env staging" not in seeded

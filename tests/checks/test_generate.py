"""Generated workflows: exactly the policy's contexts, actionlint-clean, lint-clean, never clobbered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.checks.conftest import Lint
from trainmaster.checks.generate import PINS, generate, job_id
from trainmaster.checks.service import analyse, lint_repository
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text

SEED = parse_policy(seed_policy_text("acme", "maestro"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("repo") / ".github/workflows"
    out.mkdir(parents=True)
    for file in generate(SEED, "0.1.0").files:
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
    assert list(train["jobs"]) == ["cut", "stage", "gates", "promote"]
    assert train["jobs"]["promote"]["environment"] == "prod"
    assert train["jobs"]["promote"]["needs"] == ["cut", "gates"]
    steps = " ".join(str(s.get("run", "")) for s in train["jobs"]["promote"]["steps"])
    assert 'trainmaster promote "$TRAIN" --env prod --reason "$REASON"' in steps
    assert "trainmaster --json train cut" in (generated / "release-train.yml").read_text()
    cleanup = yaml.safe_load((generated / "preview-cleanup.yml").read_text())
    assert cleanup[True]["pull_request"] == {"types": ["closed"]}
    teardown = cleanup["jobs"]["teardown"]["steps"][-1]
    assert teardown["run"] == 'trainmaster preview down --pr "$PR_NUMBER"'
    assert teardown["env"]["PR_NUMBER"] == "${{ github.event.pull_request.number }}"
    staging = (generated / "staging.yml").read_text()
    assert "--env stage --k6 reports/k6-summary.json" in staging
    assert "--env stage --smoke reports/smoke.xml" in staging


def test_no_untrusted_expression_is_inline_in_a_script(generated: Path) -> None:
    for file in generated.glob("*.yml"):
        for job in yaml.safe_load(file.read_text())["jobs"].values():
            for step in job.get("steps", []):
                assert "${{" not in str(step.get("run", "")), (file.name, step)


def test_permissions_are_least_privilege(generated: Path) -> None:
    for file in generated.glob("*.yml"):
        workflow = yaml.safe_load(file.read_text())
        assert workflow["permissions"] == {"contents": "read"}, file.name
        for name, job in workflow["jobs"].items():
            granted = {k for k, v in job.get("permissions", {}).items() if v == "write"}
            allowed = {
                "sast-codeql": {"security-events"},
                "terraform-plan": {"id-token"},
                "cut": {"contents"},
                "stage": {"packages"},
            }.get(name, set())
            assert granted <= allowed, (file.name, name, granted)


def test_actions_are_pinned_to_full_commit_shas(generated: Path) -> None:
    uses = re.findall(r"uses: (\S+)(.*)", "".join(f.read_text() for f in generated.glob("*.yml")))
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), comment
    assert {ref for ref, _ in uses} == {ref for ref, _ in PINS.values()}


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
    assert "trainmaster gate run --env staging" in staging
    seeded = {f.name: f.text for f in generate(SEED, "0.1.0").files}["staging.yml"]
    assert "--env stage\n" in seeded and "--env staging" not in seeded

"""The staging checks decide from their own inputs: the smoke and k6 jobs' generated commands,
run as written, pass on green reports and fail on red ones (before, every job ran the whole
stage's gates and exited 3 for the inputs it did not have)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from trainmaster.checks.generate import generate
from trainmaster.config.seed import seed_policy_text

ACTION = "acme/trainmaster@" + "5" * 40
GREEN_JUNIT = '<testsuite name="smoke" tests="1" failures="0"><testcase name="health"/></testsuite>'
RED_JUNIT = (
    '<testsuite name="smoke" tests="1" failures="1"><testcase name="health">'
    '<failure message="503"/></testcase></testsuite>'
)
K6 = '{"metrics": {"http_req_failed": {"thresholds": {"rate<0.01": %s}}}}'


def _commands(tmp_path: Path) -> dict[str, list[str]]:
    from trainmaster.config import parse_policy

    policy = parse_policy(seed_policy_text("acme", "maestro"))
    staging = next(
        f for f in generate(policy, "0.1.0", action=ACTION).files if f.name == "staging.yml"
    )
    jobs = yaml.safe_load(staging.text)["jobs"]
    out = {}
    for name in ("smoke-tests-staging", "k6-slo-staging"):
        (args,) = [
            s["with"]["args"]
            for s in jobs[name]["steps"]
            if s.get("uses") == ACTION and s["with"]["args"].startswith("gate run")
        ]
        out[name] = shlex.split(args)
    return out


@pytest.mark.parametrize(
    ("junit", "k6", "code"), [(GREEN_JUNIT, "false", 0), (RED_JUNIT, "true", 1)]
)
def test_each_staging_job_decides_from_its_own_report(
    cli, tmp_path: Path, junit: str, k6: str, code: int
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "trainmaster.yaml").write_text(seed_policy_text("acme", "maestro"))
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports/smoke.xml").write_text(junit)
    (tmp_path / "reports/k6-summary.json").write_text(K6 % k6)
    for job, args in _commands(tmp_path).items():
        result = cli("--json", *args)
        assert result.code == code, (job, result.out, result.err)


def test_the_whole_stage_without_its_other_inputs_never_passes(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "trainmaster.yaml").write_text(seed_policy_text("acme", "maestro"))
    (tmp_path / "smoke.xml").write_text(GREEN_JUNIT)
    whole = cli("gate", "run", "--env", "stage", "--smoke", "smoke.xml")
    assert whole.code in (3, 4), whole.err  # inconclusive, or no Prometheus to ask

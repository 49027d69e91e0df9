"""The policy file: the seed validates, and every kind of bad input names file, line and field."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from trainmaster.config import parse_policy
from trainmaster.config.durations import format_duration, parse_duration
from trainmaster.config.schema import policy_schema
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import ExitCode, PolicyError

ROOT = Path(__file__).resolve().parents[2]
SEED = seed_policy_text("acme", "maestro")


def error_of(text: str) -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "trainmaster.yaml")
    assert info.value.exit_code == ExitCode.USAGE
    return info.value.message


def test_seed_expresses_the_whole_plan() -> None:
    policy = parse_policy(SEED)
    assert policy.repos == ["acme/maestro"]
    assert policy.train.cadence.cron == "0 18 * * 4"
    assert len(policy.checks.required) == 17
    assert "rollout-gate (staging)" in policy.checks.contexts
    assert policy.stages["prod"].approval.quorum == 2
    assert policy.stages["prod"].strategy == "blue-green"
    assert policy.stages["prod"].auto_promotion is False
    assert policy.stages["preview"].ttl == timedelta(hours=72)
    assert policy.governance.environments["prod"].wait_timer == timedelta(minutes=10)
    assert policy.signals["p95-latency"].threshold == 1.5
    assert policy.signals["p95-latency"].duration == timedelta(minutes=5)
    assert policy.signals["burn-rate"].windows[0].factor == 2
    assert policy.signals["error-rate"].window == timedelta(minutes=5)
    assert policy.signals["saturation"].threshold == 0.8
    assert {r.title for r in policy.roles.values()} >= {"Release Captain", "Repo Arborist"}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "quorum: 2 ",
            "quorom: 2 ",
            ":140:7: stages.prod.approval.quorom: unknown key 'quorom'; did you mean 'quorum'?",
        ),
        (
            "wait_timer: 10m",
            "wait_timer: 43201m",
            ":93:19: governance.environments.prod.wait_timer: GitHub allows a wait timer of at most 43200 minutes",
        ),
        ("ttl: 72h", "ttl: -5m", "stages.preview.ttl: negative duration"),
        ("ttl: 72h", "ttl: 72", "stages.preview.ttl: a duration needs a unit"),
        ('cron: "0 18 * * 4"', 'cron: "0 0 30 2 *"', "train.cadence: invalid cron '0 0 30 2 *'"),
        ("timezone: UTC", "timezone: Mars/Olympus", "train.cadence: unknown IANA time zone"),
        (
            "quorum: 1\n",
            "quorum: many\n",
            "stages.stage.approval.quorum: Input should be a valid integer",
        ),
        (
            "burn-rate, error-rate, saturation, migrations]\n    approval:\n      quorum: 2",
            "burn-rat, error-rate, saturation, migrations]\n    approval:\n      quorum: 2",
            "stages.prod.gates.1: unknown 'burn-rat'; did you mean 'burn-rate'?",
        ),
        (
            "may: [governance.apply]",
            "may: [governance.aply]",
            "roles.repo-arborist.may: unknown action 'governance.aply'",
        ),
        (
            "url: sqlite:///.trainmaster/state.db",
            "url: sqlite:///x\n  url: again",
            "duplicate key 'url'",
        ),
        (
            "  targets: []",
            "  targets: [{name: team, type: slack, url: https://hooks.slack.com/x}]",
            "notify.targets.0: a Slack webhook URL is a secret: use secret_env or secret_file",
        ),
    ],
)
def test_bad_input_gives_one_line_with_file_line_and_field(
    old: str, new: str, expected: str
) -> None:
    assert old in SEED
    message = error_of(SEED.replace(old, new, 1))
    assert message.startswith("trainmaster.yaml:")
    assert expected in message
    assert "\n" not in message


def test_more_than_six_environment_reviewers_is_refused() -> None:
    reviewers = "".join(f"        - user: person{i}\n" for i in range(7))
    text = SEED.replace(
        "      reviewers:\n        - team: release-captains\n        - team: sre\n",
        "      reviewers:\n" + reviewers,
    )
    assert "at most 6 reviewers, got 7" in error_of(text)


def test_invalid_yaml_points_at_the_line() -> None:
    message = error_of("version: 1\nrepos: [a/b\ntrain: {}\n")
    assert message.startswith("trainmaster.yaml:3:")
    assert "invalid YAML" in message


def test_a_policy_that_is_not_a_mapping() -> None:
    assert (
        error_of("- a\n- b\n") == "trainmaster.yaml:1:1: the policy must be a mapping of sections"
    )


def test_unknown_top_level_key_suggests() -> None:
    assert "unknown key 'signal'; did you mean 'signals'?" in error_of("version: 1\nsignal: {}\n")


def test_empty_file_is_the_default_policy() -> None:
    assert parse_policy("").version == 1


@pytest.mark.parametrize(
    ("text", "shortest"),
    [
        ("90s", "1m30s"),
        ("5m", "5m"),
        ("1h30m", "1h30m"),
        ("3d", "3d"),
        ("14d", "2w"),
        ("250ms", "250ms"),
        ("0s", "0s"),
        ("1.5h", "1h30m"),
    ],
)
def test_durations_round_trip(text: str, shortest: str) -> None:
    assert format_duration(parse_duration(text)) == shortest
    assert parse_duration(shortest) == parse_duration(text)


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "schema" / "trainmaster.schema.json").read_text())
    assert committed == policy_schema(), "run: trainmaster schema > schema/trainmaster.schema.json"


def test_schema_describes_durations_as_strings() -> None:
    props = policy_schema()["$defs"]["Environment"]["properties"]["wait_timer"]
    assert props["type"] == "string"

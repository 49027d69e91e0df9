"""The `notify:` section: each mistake is one line naming file, line and field."""

from __future__ import annotations

import pytest

from tests.notify.conftest import policy_with
from trainmaster.config import parse_policy
from trainmaster.errors import PolicyError

HOOK = "    - name: ops\n      type: webhook\n      url: https://hooks.example.com/x\n"


def error_of(targets: str) -> str:
    with pytest.raises(PolicyError) as caught:
        parse_policy(policy_with("  targets:\n" + targets))
    assert "\n" not in caught.value.message
    return caught.value.message


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        (HOOK, "notify.targets.0: a webhook target needs secret_env or secret_file"),
        (
            HOOK + "      secret_env: A\n      secret_file: b\n",
            "give secret_env or secret_file, not both",
        ),
        (HOOK + "      secret: whsec_abc\n", "notify.targets.0.secret: unknown key"),
        (
            HOOK + "      secret_env: A\n      events: [train.promotd]\n",
            "notify.targets.0.events: unknown event 'train.promotd' (did you mean 'train.promoted'?)",
        ),
        (
            HOOK + "      secret_env: A\n      stages: [prd]\n",
            "notify.targets.0.stages.0: unknown 'prd'; did you mean 'prod'?",
        ),
        (HOOK + "      secret_env: A\n      lanes: [nightly]\n", "notify.targets.0.lanes.0"),
        (HOOK + "      secret_env: A\n      timeout: 5\n", "a duration needs a unit"),
        (
            HOOK.replace("https://hooks.example.com/x", "http://hooks.example.com/x")
            + "      secret_env: A\n",
            "url must be https:// (plain http only on loopback)",
        ),
        (
            "    - name: team\n      type: slack\n      url: https://hooks.slack.com/services/x\n",
            "a Slack webhook URL is a secret: use secret_env or secret_file",
        ),
        ("    - name: team\n      type: teams\n", "a teams target needs url"),
        ("    - name: mail\n      type: email\n", "an email target needs smtp"),
        (
            "    - name: mail\n      type: email\n      smtp: {host: relay, from: a@b.c, to: ['x@y.z, w@v.u']}\n",
            "is not one email address",
        ),
        (
            HOOK + "      secret_env: A\n" + HOOK + "      secret_env: B\n",
            "two targets are named 'ops'",
        ),
        ("    - name: Bad Name\n      type: webhook\n", "notify.targets.0.name"),
    ],
)
def test_mistakes_name_file_line_and_field(targets: str, expected: str) -> None:
    message = error_of(targets)
    assert message.startswith("trainmaster.yaml:") and expected in message, message


def test_a_valid_section_routes_by_events_lanes_and_stages() -> None:
    policy = parse_policy(
        policy_with(
            "  targets:\n" + HOOK + "      secret_env: OPS\n      events: [train.rolled_back]\n"
            "      lanes: [hotfix]\n      stages: [prod]\n      timeout: 2s\n"
        )
    )
    [target] = policy.notify.targets
    assert (target.events, target.lanes, target.stages) == (
        ["train.rolled_back"],
        ["hotfix"],
        ["prod"],
    )
    assert target.timeout.total_seconds() == 2 and target.max_attempts == 8


def test_the_documented_example_is_a_valid_policy_section() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "notifications.md").read_text()
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert block.startswith("notify:\n")
    section = block.removeprefix("notify:\n")
    policy = parse_policy(policy_with(section))
    assert [t.type for t in policy.notify.targets] == [
        "webhook",
        "slack",
        "slack",
        "teams",
        "email",
    ]
    assert policy.notify.web_url == "https://trainmaster.example.com"

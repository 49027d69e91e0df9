"""Slack (incoming webhook and bot token) and Teams (workflow webhook) against a local receiver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block

from tests.notify.receiver import Answer, Receiver
from trainmaster.config import parse_policy
from trainmaster.config.notify import NotifyTarget
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import PolicyError
from trainmaster.notify.deliver import send_message
from trainmaster.notify.samples import sample_events
from trainmaster.notify.secrets import target_secret
from trainmaster.redaction import redact

SAMPLES = sample_events(parse_policy(seed_policy_text("acme", "maestro")))
TOKEN = "xoxb-1234-5678-abcdefghijkl"


def slack(**extra: object) -> NotifyTarget:
    return NotifyTarget.model_validate(
        {"name": "team", "type": "slack", "secret_env": "SLACK_SECRET", **extra}
    )


def test_slack_incoming_webhook_gets_block_kit(hook: Receiver) -> None:
    attempt = send_message(slack(), hook.url, "msg_1", SAMPLES[1])
    assert attempt.ok
    [request] = hook.received
    message = request.json()
    assert "channel" not in message and message["text"].startswith("Approval requested")
    assert message["blocks"]
    assert all(Block.parse(b) is not None for b in message["blocks"])
    assert request.headers["idempotency-key"] == "msg_1"


def test_slack_bot_token_posts_to_chat_post_message(hook: Receiver) -> None:
    hook.default = Answer(200, {"content-type": "application/json"}, body=b'{"ok": true}')
    target = slack(channel="#releases")
    assert send_message(target, TOKEN, "msg_1", SAMPLES[2], slack_api=hook.url).ok
    [request] = hook.received
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.json()["channel"] == "#releases"


@pytest.mark.parametrize(
    ("reply", "temporary"),
    [
        (b'{"ok": false, "error": "channel_not_found"}', False),
        (b'{"ok": false, "error": "ratelimited"}', True),
    ],
)
def test_slack_api_errors_in_a_200_reply(hook: Receiver, reply: bytes, temporary: bool) -> None:
    hook.default = Answer(200, body=reply)
    attempt = send_message(slack(channel="#releases"), TOKEN, "m", SAMPLES[2], slack_api=hook.url)
    assert not attempt.ok and attempt.temporary is temporary
    assert attempt.error == "Slack: " + json.loads(reply)["error"]


def test_teams_workflow_gets_an_adaptive_card(hook: Receiver) -> None:
    hook.default = Answer(202)  # what a Teams workflow answers
    target = NotifyTarget.model_validate({"name": "teams", "type": "teams", "url": hook.url})
    assert send_message(target, None, "msg_1", SAMPLES[0]).ok
    body = hook.received[0].json()
    assert body["attachments"][0]["content"]["type"] == "AdaptiveCard"


@pytest.mark.parametrize(
    ("target", "value", "problem"),
    [
        ({"channel": "#r"}, "xoxp-user-token", "a Slack bot token starts with xoxb-"),
        ({}, "hooks.slack.com/services/x", "a Slack incoming webhook is an https URL"),
        ({}, "https://hooks.slack.com/a\nb", "the secret holds a line break or NUL"),
    ],
)
def test_slack_secret_formats_are_policy_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: dict[str, str],
    value: str,
    problem: str,
) -> None:
    policy = tmp_path / "trainmaster.yaml"
    policy.write_text(
        "notify:\n  targets:\n    - name: team\n      type: slack\n      secret_env: SLACK_SECRET\n"
    )
    monkeypatch.setenv("SLACK_SECRET", value)
    with pytest.raises(PolicyError) as caught:
        target_secret(slack(**target), 0, policy)
    assert caught.value.message == f"{policy}:5:19: notify.targets.0.secret_env: {problem}"
    assert value not in caught.value.message


def test_a_secret_file_is_read_and_bounded(tmp_path: Path) -> None:
    policy = tmp_path / "trainmaster.yaml"
    policy.write_text("notify:\n  targets: []\n")
    (tmp_path / "hook.url").write_text("https://hooks.slack.com/services/T/B/x\n")
    assert target_secret(slack(secret_env=None, secret_file="hook.url"), 0, policy) == (
        "https://hooks.slack.com/services/T/B/x"
    )
    assert redact("posting to https://hooks.slack.com/services/T/B/x") == "posting to ***"
    (tmp_path / "big").write_bytes(b"x" * 5000)
    with pytest.raises(PolicyError, match="is larger than 4096 bytes"):
        target_secret(slack(secret_env=None, secret_file="big"), 0, policy)
    with pytest.raises(PolicyError, match="cannot read"):
        target_secret(slack(secret_env=None, secret_file="missing"), 0, policy)


def test_a_huge_answer_is_read_only_up_to_a_bound(hook: Receiver) -> None:
    hook.default = Answer(200, body=b"x" * (8 << 20))  # 8 MiB of nothing useful
    assert send_message(slack(), hook.url, "msg_1", SAMPLES[1]).ok
    huge_json = b'{"ok": true, "pad": "' + b"x" * (1 << 20) + b'"}'
    hook.default = Answer(200, body=huge_json)
    bot = send_message(slack(channel="#r"), TOKEN, "msg_2", SAMPLES[1], slack_api=hook.url)
    assert (bot.ok, bot.error) == (False, "Slack answered with something other than JSON")

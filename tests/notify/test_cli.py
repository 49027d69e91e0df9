"""`trainmaster notify …` and the delivery after each command, through the CLI, in-process."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from tests.notify.conftest import SECRET, webhook_targets
from tests.notify.receiver import Answer, Receiver
from tests.train.test_cli import project  # noqa: F401 - the fixture: a repo, a fake cluster

pytestmark = pytest.mark.usefixtures("project")


def with_targets(tmp_path: Path, targets: str) -> Path:
    path = tmp_path / "trainmaster.yaml"
    text = path.read_text()
    assert "  targets: []\n" in text
    path.write_text(text.replace("  targets: []\n", targets, 1))
    return path


def test_a_cut_announces_itself_after_the_command(cli, tmp_path, hook: Receiver, secret) -> None:  # type: ignore[no-untyped-def]
    with_targets(tmp_path, webhook_targets(hook.url))
    assert cli("--actor", "captain", "train", "cut").code == 0
    [request] = hook.received
    event = Webhook(secret).verify(request.body, request.headers)
    assert event["type"] == "train.scheduled"
    assert event["data"]["train"]["id"] == "v1.1.0"
    listed = json.loads(cli("--json", "notify", "list").out)
    assert [(m["type"], m["status"], m["attempts"]) for m in listed] == [
        ("train.scheduled", "sent", 1)
    ]


def test_a_failing_target_never_blocks_the_train(cli, tmp_path, secret) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with_targets(tmp_path, webhook_targets(f"http://127.0.0.1:{port}/hook"))
    assert cli("--actor", "captain", "train", "cut").code == 0
    assert cli("train", "artifact", "v1.1.0", "sha256:" + "a" * 64).code == 0
    assert cli("train", "deploy", "v1.1.0", "--env", "stage").code == 0
    assert cli("train", "verify", "v1.1.0", "--env", "stage").code == 0
    listed = json.loads(cli("--json", "notify", "list", "--status", "pending").out)
    assert sorted(m["type"] for m in listed) == ["approval.requested", "train.scheduled"]
    assert all(m["last_error"].startswith("cannot reach the target") for m in listed)
    table = cli("notify", "list").out
    assert "approval.requested" in table and "pending" in table


def test_dead_letters_are_listed_and_can_be_retried(cli, tmp_path, hook: Receiver, secret) -> None:  # type: ignore[no-untyped-def]
    with_targets(tmp_path, webhook_targets(hook.url))
    hook.default = Answer(403)
    assert cli("--actor", "captain", "train", "cut").code == 0
    [dead] = json.loads(cli("--json", "notify", "list", "--status", "dead").out)
    assert dead["last_error"].startswith("HTTP 403 (permanent")
    hook.default = Answer(204)
    assert cli("notify", "retry", dead["id"]).code == 0  # and delivered after the command
    assert json.loads(cli("--json", "notify", "deliver").out)["sent"] == []
    [sent] = json.loads(cli("--json", "notify", "list").out)
    assert (sent["id"], sent["status"], sent["attempts"]) == (dead["id"], "sent", 1)
    assert [r.headers["webhook-id"] for r in hook.received] == [dead["id"], dead["id"]]
    assert cli("notify", "retry", dead["id"]).code == 2  # sent now: not a dead letter


def test_notify_test_dry_run_prints_payloads_and_sends_nothing(
    cli, tmp_path, hook: Receiver
) -> None:  # type: ignore[no-untyped-def]
    with_targets(tmp_path, webhook_targets(hook.url))
    result = cli("notify", "test", "--target", "ops-hook", "--dry-run")
    assert result.code == 0, result.err
    assert result.out.count(" → ops-hook\n") == 7 and '"type": "train.rolled_back"' in result.out
    assert hook.received == []


def test_notify_test_sends_a_sample_of_each_event(cli, tmp_path, hook: Receiver, secret) -> None:  # type: ignore[no-untyped-def]
    with_targets(
        tmp_path, webhook_targets(hook.url, "      events: [train.promoted, gate.failed]\n")
    )
    result = cli("notify", "test", "--target", "ops-hook")
    assert result.code == 0, result.err
    types = [Webhook(secret).verify(r.body, r.headers)["type"] for r in hook.received]
    assert types == ["train.promoted", "gate.failed"]
    hook.default = Answer(500)
    failed = cli("notify", "test", "--target", "ops-hook")
    assert failed.code == 4 and "2 of 2 samples not delivered" in failed.err
    assert cli("notify", "test", "--target", "nope").code == 2


def test_an_invalid_secret_format_is_a_policy_error_with_its_line(
    cli,
    tmp_path,
    hook: Receiver,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    path = with_targets(tmp_path, webhook_targets(hook.url))
    monkeypatch.setenv("OPS_HOOK_SECRET", "hunter2-plain-text")
    result = cli("notify", "test", "--target", "ops-hook")
    line = 1 + path.read_text().splitlines().index("      secret_env: OPS_HOOK_SECRET")
    assert result.code == 2
    assert result.err.strip() == (
        f"error: trainmaster.yaml:{line}:19: notify.targets.0.secret_env: "
        "a webhook secret starts with whsec_ followed by base64"
    )
    assert "hunter2" not in result.err and hook.received == []


def test_bad_list_status_is_a_usage_error(cli, tmp_path, hook: Receiver) -> None:  # type: ignore[no-untyped-def]
    with_targets(tmp_path, webhook_targets(hook.url))
    result = cli("notify", "list", "--status", "lost")
    assert result.code == 2 and "use pending, sent or dead" in result.err


def test_notify_test_dry_run_for_email_shows_subject_text_and_html(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with_targets(
        tmp_path,
        "  targets:\n    - name: mail\n      type: email\n      events: [train.rolled_back]\n"
        "      smtp: {host: 127.0.0.1, from: tm@example.com, to: [oncall@example.com]}\n",
    )
    result = cli("--json", "notify", "test", "--target", "mail", "--dry-run")
    [sample] = json.loads(result.out)
    payload = sample["payload"]
    assert payload["subject"].startswith("[trainmaster] Rolled back:")
    assert payload["to"] == "oncall@example.com"
    assert "Now serving:" in payload["plain"] and "<table>" in payload["html"]


def test_notify_check_names_every_bad_secret_with_its_line(
    cli, tmp_path, hook: Receiver, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    second = (
        "    - name: team\n      type: slack\n      channel: '#releases'\n"
        "      secret_env: SLACK_TOKEN\n"
    )
    path = with_targets(tmp_path, webhook_targets(hook.url) + second)
    lines = path.read_text().splitlines()
    hook_line = 1 + lines.index("      secret_env: OPS_HOOK_SECRET")
    slack_line = 1 + lines.index("      secret_env: SLACK_TOKEN")
    monkeypatch.setenv("OPS_HOOK_SECRET", "whsec_%%%")
    monkeypatch.delenv("SLACK_TOKEN", raising=False)
    result = cli("notify", "check")
    assert result.code == 2
    assert result.err.splitlines() == [
        f"error: trainmaster.yaml:{hook_line}:19: notify.targets.0.secret_env: "
        "the part after whsec_ is not base64",
        f"error: trainmaster.yaml:{slack_line}:19: notify.targets.1.secret_env: "
        "environment variable SLACK_TOKEN is not set",
    ]
    monkeypatch.setenv("OPS_HOOK_SECRET", SECRET)
    monkeypatch.setenv("SLACK_TOKEN", "xoxb-1-2-abcdef")
    assert cli("notify", "check").code == 0


def test_no_writer_outlives_its_command(cli, tmp_path, hook: Receiver, secret) -> None:  # type: ignore[no-untyped-def]
    from trainmaster.audit.log import _hooks

    with_targets(tmp_path, webhook_targets(hook.url))
    assert cli("--actor", "captain", "train", "cut").code == 0  # opened the store
    assert _hooks == []
    check = cli("authz", "check", "--action", "rollback", "--stage", "prod", "--reason", "p95 up")
    assert check.code == 0, check.err  # a command that builds the App without opening the store
    assert _hooks == []


def test_prune_removes_old_delivered_messages_only(cli, tmp_path, hook: Receiver, secret) -> None:  # type: ignore[no-untyped-def]
    with_targets(tmp_path, webhook_targets(hook.url))
    assert cli("--actor", "captain", "train", "cut").code == 0  # one message, sent
    assert json.loads(cli("--json", "notify", "prune", "--older-than", "1h").out)["messages"] == 0
    planned = json.loads(cli("--json", "notify", "prune", "--older-than", "0s", "--dry-run").out)
    assert planned["messages"] == 1 and len(json.loads(cli("--json", "notify", "list").out)) == 1
    assert cli("notify", "prune", "--older-than", "0s").code == 0
    assert json.loads(cli("--json", "notify", "list").out) == []
    log = json.loads(cli("--json", "audit", "log", "--action", "notify.prune").out)
    assert [e["payload"]["removed"] for e in log] == [1]
    assert cli("notify", "prune", "--older-than", "soon").code == 2

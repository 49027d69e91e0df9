"""`trainmaster drift` against the GitHub emulator: found drift is audited and notified once per
distinct drift (every scheduled run of the same drift is one event)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.emulators.github.fixtures import GitHubEmulator
from tests.governance.conftest import policy_file  # noqa: F401 - the fixture
from tests.notify.conftest import webhook_targets
from tests.notify.receiver import Receiver

pytestmark = pytest.mark.slow


def test_drift_is_notified_once_per_distinct_drift(
    cli: Any,
    github_emulator: GitHubEmulator,
    policy_file: Path,  # noqa: F811 - the fixture imported above
    hook: Receiver,
    secret: str,
) -> None:
    text = policy_file.read_text()
    policy_file.write_text(text.replace("  targets: []\n", webhook_targets(hook.url), 1))
    assert cli("--policy", str(policy_file), "drift").code == 1  # nothing applied yet: drift
    assert cli("--policy", str(policy_file), "drift").code == 1  # the same drift again
    [request] = hook.received
    event = Webhook(secret).verify(request.body, request.headers)
    assert event["type"] == "drift.detected"
    assert event["data"]["drift"] == {"repos": ["acme/api", "acme/web"], "count": 2}
    listed = json.loads(cli("--policy", str(policy_file), "--json", "notify", "list").out)
    assert [m["type"] for m in listed] == ["drift.detected"]

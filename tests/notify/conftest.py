"""A policy with notify targets over the seed, a train rig, a local receiver, a signing secret."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.notify.receiver import Receiver, receiver
from tests.train.conftest import COMMITS, Rig
from tests.train.fakes import make_repo
from trainmaster.config import Policy, parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.store import Store

SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()


def policy_with(targets_yaml: str) -> str:
    text = seed_policy_text("acme", "maestro")
    assert "  targets: []\n" in text
    return text.replace("  targets: []\n", targets_yaml, 1)


def webhook_targets(url: str, extra: str = "") -> str:
    return (
        "  deliver_after_command: 2s\n"
        "  targets:\n"
        "    - name: ops-hook\n"
        "      type: webhook\n"
        f"      url: {url}\n"
        "      secret_env: OPS_HOOK_SECRET\n"
        "      timeout: 1s\n"
        "      max_attempts: 3\n" + extra
    )


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as state:
        yield state


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPS_HOOK_SECRET", SECRET)
    return SECRET


@pytest.fixture
def notify_policy(hook: Receiver, tmp_path: Path) -> tuple[Policy, Path]:
    text = policy_with(webhook_targets(hook.url))
    path = tmp_path / "trainmaster.yaml"
    path.write_text(text)
    return parse_policy(text, str(path)), path


@pytest.fixture
def notify_rig(notify_policy: tuple[Policy, Path], store: Store, tmp_path: Path) -> Iterator[Rig]:
    from trainmaster.notify.hook import install

    policy, _path = notify_policy
    repo = make_repo(tmp_path / "repo", COMMITS)
    remove = install(policy, repo)
    try:
        yield Rig(policy, store, repo)
    finally:
        remove()

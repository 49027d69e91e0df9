"""`trainmaster demo` sends its announcements, approval requests, promotions and the rollback to
its local signed-webhook receiver, each once, verified by the Standard Webhooks library."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_the_demo_notifies_each_step_once(tmp_path: Path) -> None:
    demo = subprocess.run(
        [sys.executable, "-m", "trainmaster", "demo", "--keep", str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        env={"COLUMNS": "400", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=600,
        check=False,
    )
    out = demo.stdout
    assert demo.returncode == 0, out + demo.stderr
    url = re.search(r"target demo-inbox is (http://127\.0\.0\.1:\d+/hooks)", out)
    assert url is not None, out
    for line in (
        "notified train.scheduled v0.2.0",
        "notified approval.requested v0.2.0 prod",
        "notified train.promoted v0.2.0 prod",
        "notified train.rolled_back v0.3.0 prod",
    ):
        assert f"{line} → {url.group(1)} (signature verified)" in out, line
    summary = re.search(
        r"notifications: (\d+) delivered once each to \S+ (\{.*?\}); (\d+) repeated deliveries recognised by webhook-id, (\d+) refused",
        out,
    )
    assert summary is not None, out
    assert json.loads(summary.group(2)) == {
        "approval.requested": 4,  # stage and prod, both trains
        "train.promoted": 4,
        "train.rolled_back": 1,
        "train.scheduled": 2,
    }
    assert (summary.group(1), summary.group(4)) == ("11", "0")
    listed = subprocess.run(
        [sys.executable, "-m", "trainmaster", "--json", "notify", "list"],
        cwd=tmp_path / "ws" / "maestro",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    messages = json.loads(listed)
    assert len(messages) == 11 and {m["status"] for m in messages} == {"sent"}

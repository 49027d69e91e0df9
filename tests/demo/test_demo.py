"""The main job end to end: `trainmaster demo` as a user runs it, and stopped with Ctrl-C."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _processes_under(folder: Path) -> list[str]:
    """Command lines of live processes that mention the workspace (releases, load runs)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = str((proc / "cwd").resolve())
        except OSError:
            continue
        if str(folder) in cmdline or cwd.startswith(str(folder)):
            found.append(cmdline)
    return found


def _demo(tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "trainmaster", "demo", "--keep", str(tmp_path / "ws")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )


def test_demo_promotes_the_good_release_and_rolls_back_the_bad_one(tmp_path: Path) -> None:
    demo = _demo(tmp_path)
    out, _ = demo.communicate(timeout=600)
    assert demo.returncode == 0, out
    assert "shipped v0.2.0" in out
    assert "rolled back v0.3.0" in out
    repo = tmp_path / "ws" / "maestro"
    bundles = sorted((repo / "evidence").glob("evidence-*.tar.gz"))
    assert [b.name for b in bundles] == ["evidence-v0.2.0.tar.gz", "evidence-v0.3.0.tar.gz"]
    verify = subprocess.run(
        [sys.executable, "-m", "trainmaster", "--json", "audit", "verify"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr
    listing = subprocess.run(
        [sys.executable, "-m", "trainmaster", "--json", "train", "list"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '"rolled_back"' in listing and '"released"' in listing
    assert _processes_under(tmp_path / "ws") == []
    # Every step went through the use cases, authorized like a person's.
    with sqlite3.connect(repo / ".trainmaster" / "state.db") as conn:
        rows = set(conn.execute("SELECT actor, action FROM audit_events").fetchall())
    assert {("alice", "approve"), ("bob", "approve"), ("release-captain", "promote")} <= rows
    assert ("trainmaster-watch", "rollback") in rows  # the watch is a person to the policy
    assert not [r for r in rows if r[1] == "authz.refused"]


def test_ctrl_c_leaves_no_process_and_a_sound_store(tmp_path: Path) -> None:
    demo = _demo(tmp_path)
    deadline = time.monotonic() + 120
    seen = ""
    assert demo.stdout is not None
    while "deployed at" not in seen and time.monotonic() < deadline:
        line = demo.stdout.readline()
        if not line:
            break
        seen += line
    # the interrupt lands mid-run: the stage is deployed and the demo is still going
    assert "deployed at" in seen, seen
    assert demo.poll() is None
    time.sleep(2.0)  # mid-way through the stage's load run
    demo.send_signal(signal.SIGINT)
    demo.communicate(timeout=60)
    assert demo.returncode != 0
    time.sleep(1.0)
    assert _processes_under(tmp_path / "ws") == []
    db = tmp_path / "ws" / "maestro" / ".trainmaster" / "state.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    verify = subprocess.run(
        [sys.executable, "-m", "trainmaster", "audit", "verify"],
        cwd=db.parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr


def test_missing_extras_stop_the_demo_before_anything_starts(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "locust", None)  # what Python does for a blocked import
    result = cli("demo", "--keep", str(tmp_path / "ws"))
    assert result.code == 2
    assert "pip install 'trainmaster[demo]'" in result.err
    assert not (tmp_path / "ws").exists()

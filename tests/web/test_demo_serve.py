"""`trainmaster demo --keep DIR`, then `trainmaster serve` in its workspace: the demo's trains
are on the board, each with its verified evidence bundle (the README's promise)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

pytestmark = pytest.mark.slow


def test_serve_shows_the_demos_trains(tmp_path: Path) -> None:
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    demo = subprocess.run(
        [sys.executable, "-m", "trainmaster", "demo", "--keep", str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    repo = tmp_path / "ws" / "maestro"
    issued = subprocess.run(
        [
            sys.executable,
            "-m",
            "trainmaster",
            "--actor",
            "alice",
            "--json",
            "token",
            "create",
            "board-check",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    auth = {"Authorization": f"Bearer {json.loads(issued.stdout)['token']}"}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "trainmaster", "serve", "--port", str(port)],
        cwd=repo,
        env={**env, "TRAINMASTER_SESSION_SECRET": "d" * 40},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz").raise_for_status()
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        board = httpx.get(f"{base}/api/v1/board", headers=auth).json()
        done = {card["train"]: card["status"] for card in board["lanes"]["scheduled"]["done"]}
        assert done == {"v0.2.0": "released", "v0.3.0": "rolled_back"}
        for train in done:
            page = httpx.get(f"{base}/api/v1/trains/{train}", headers=auth).json()
            assert page["evidence"]["verified"], page["evidence"]
            assert page["timeline"] and page["notes"]
    finally:
        server.terminate()
        server.wait(timeout=10)

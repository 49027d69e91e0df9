"""Traffic for the demo: smoke tests written as JUnit XML, and Locust load runs.

Locust runs headless in a child process (`locust --headless --json`): it monkey-patches the
standard library with gevent on import, which the local target's asyncio proxy in this process
cannot live with. Its `--json` stats are the same input `gate run --locust` reads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import httpx

LOCUSTFILE = """\
from locust import FastHttpUser, between, task


class Shopper(FastHttpUser):
    wait_time = between(0.01, 0.05)

    @task(4)
    def orders(self):
        self.client.get("/orders")

    @task(1)
    def home(self):
        self.client.get("/")
"""

SMOKE_PATHS = ("/healthz", "/", "/orders")


def smoke(base_url: str, out: Path) -> Path:
    """GET each smoke path once; write the JUnit report a CI smoke job would write."""
    cases: list[str] = []
    failures = 0
    with httpx.Client(base_url=base_url, timeout=5.0, trust_env=False) as client:
        for path in SMOKE_PATHS:
            began = time.perf_counter()
            try:
                status = client.get(path).status_code
                problem = None if status == 200 else f"GET {path} answered {status}"
            except httpx.HTTPError as e:
                problem = f"GET {path} failed: {type(e).__name__}"
            seconds = time.perf_counter() - began
            body = f'<failure message="{escape(problem)}"/>' if problem else ""
            failures += problem is not None
            cases.append(
                f'<testcase classname="smoke" name="GET {escape(path)}" time="{seconds:.3f}">'
                f"{body}</testcase>"
            )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuite name="smoke-tests" tests="{len(cases)}" failures="{failures}" errors="0">'
        + "".join(cases)
        + "</testsuite>\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(xml, encoding="utf-8")
    return out


@dataclass
class LoadRun:
    """One Locust run in a child process of its own process group."""

    process: subprocess.Popen[str]
    out: Path

    def finish(self, timeout: float = 60.0) -> str:
        """Wait for the run to end (or end it) and return its `--json` stats."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
        return self.out.read_text(encoding="utf-8") if self.out.exists() else "[]"

    def stop(self) -> None:
        """End the run early; Locust still writes its stats on SIGTERM."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def check_extras() -> None:
    """Refuse (exit 2) before anything starts when the demo's extras are not installed."""
    import importlib.util

    if importlib.util.find_spec("locust") is None:
        from trainmaster.errors import UsageError

        raise UsageError("the demo drives load with Locust: pip install 'trainmaster[demo]'")


def start_load(base_url: str, *, users: int, seconds: float, workdir: Path, name: str) -> LoadRun:
    check_extras()
    workdir.mkdir(parents=True, exist_ok=True)
    locustfile = workdir / "locustfile.py"
    if not locustfile.exists():
        locustfile.write_text(LOCUSTFILE, encoding="utf-8")
    out = workdir / f"{name}.json"
    log = (workdir / f"{name}.log").open("w", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--headless",
        "--host",
        base_url,
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{max(1, round(seconds))}s",
        "--json",
        "--only-summary",
        "--loglevel",
        "ERROR",
        "--stop-timeout",
        "1",
    ]
    with out.open("w", encoding="utf-8") as stdout:
        process = subprocess.Popen(
            command,
            stdout=stdout,
            stderr=log,
            text=True,
            start_new_session=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    log.close()
    return LoadRun(process, out)

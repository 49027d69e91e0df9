"""One release as a local process in its own process group, on a free loopback port.

A release gets an explicit, minimal environment, never trainmaster's own: `GITHUB_TOKEN`, signing
keys and webhook URLs stay with trainmaster. It sees `BASE_ENV` (what any program needs to run),
the variables the policy lists in `backends.local.env`, and what the local target sets itself.
Its log is created readable by its owner only."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trainmaster.errors import ExternalError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Enough to find and run an interpreter and format text; nothing that authenticates anything.
BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT")


def release_environment(
    parent: Mapping[str, str], extra: Mapping[str, str] | None, passthrough: Sequence[str]
) -> dict[str, str]:
    """The environment a release starts with: chosen names from `parent`, then `extra`."""
    chosen = {name: parent[name] for name in (*BASE_ENV, *passthrough) if name in parent}
    return {**chosen, **(extra or {})}


def render_command(template: str, **values: str) -> list[str]:
    """`{port}`, `{image}`, `{digest}`, `{version}` filled in; other braces left alone."""
    text = template
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return shlex.split(text)


@dataclass
class Release:
    image: str
    revision: int
    workdir: Path
    argv: list[str]
    port: int
    health_path: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(
        self,
        log: Path,
        extra_env: dict[str, str] | None = None,
        passthrough: Sequence[str] = (),
    ) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        env = release_environment(os.environ, extra_env, passthrough)
        descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "ab") as out:
            try:
                self.process = subprocess.Popen(
                    self.argv,
                    cwd=self.workdir,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # its own process group: we kill the whole tree
                )
            except OSError as e:
                raise ExternalError(f"cannot start {self.argv[0]!r}: {e.strerror}") from e

    def wait_healthy(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                code = self.process.returncode if self.process else None
                raise ExternalError(f"release {self.image} exited with {code} before healthy")
            if self.healthy():
                return
            time.sleep(0.05)
        raise ExternalError(f"release {self.image} not healthy on {self.url} after {timeout}s")

    def healthy(self) -> bool:
        """One GET of the health path on loopback (http.client: no TLS context to build, so the
        check before a switch costs about a millisecond)."""
        import http.client

        if not self.alive:
            return False
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1.0)
        try:
            connection.request("GET", self.health_path)
            return 200 <= connection.getresponse().status < 300
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self, grace: float = 3.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(grace)

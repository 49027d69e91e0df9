"""Starting the supervisor in the background and stopping it (`trainmaster local serve --detach`,
`trainmaster local stop`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from trainmaster.adapters.local.supervisor import (
    RELEASE_MARK,
    SupervisorInfo,
    info_path,
    pid_alive,
    read_info,
    remove_info,
)
from trainmaster.errors import ExternalError


def log_path(base_dir: Path) -> Path:
    return info_path(base_dir).with_name("supervisor.log")


def start_detached(policy_path: Path, base_dir: Path, timeout: float = 30.0) -> SupervisorInfo:
    """Start `trainmaster local serve` in its own session (a terminal's Ctrl-C does not reach it)
    and wait until it answers."""
    from trainmaster.adapters.local.client import answers

    log = log_path(base_dir)
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "trainmaster", "--policy", str(policy_path), "local", "serve"]
    # 0600: the supervisor's log may name the workspace's paths and its releases' output
    descriptor = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "ab") as out:
        child = subprocess.Popen(
            argv,
            cwd=base_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise ExternalError(
                f"the local target supervisor exited with {child.returncode}: {_last_line(log)}"
            )
        found = read_info(base_dir)
        if found is not None and found.pid == child.pid and answers(found):
            return found
        time.sleep(0.05)
    _terminate(child.pid)
    raise ExternalError(f"the local target supervisor did not answer within {timeout:.0f}s")


def stop(info: SupervisorInfo, timeout: float = 20.0) -> None:
    """Ask the supervisor to stop (it stops every release first), and wait until it is gone.
    One that does not answer gets SIGTERM, if it is still a trainmaster supervisor."""
    from trainmaster.adapters.local.client import LocalClient

    client = LocalClient(info)
    try:
        client.stop_supervisor()
    except ExternalError:
        if _is_supervisor(info.pid):
            _terminate(info.pid)
    finally:
        client.close()
    deadline = time.monotonic() + timeout
    while pid_alive(info.pid):
        if time.monotonic() > deadline:
            raise ExternalError(f"the local target supervisor (pid {info.pid}) did not stop")
        time.sleep(0.05)
    remove_info(Path(info.base_dir), info.pid)  # if it could not remove its own record
    stop_orphans(Path(info.base_dir))


def orphaned_releases(base_dir: Path) -> list[int]:
    """The process groups of releases started by a supervisor of `base_dir` (marked in their
    environment) that still run. Only orphans when no supervisor of `base_dir` is alive."""
    mark = f"{RELEASE_MARK}={base_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        try:
            marked = mark in (entry / "environ").read_bytes().split(b"\0")
            leader = os.getpgid(pid) == pid  # each release leads its own process group
        except OSError:
            continue
        if marked and leader:
            found.append(pid)
    return found


def stop_orphans(base_dir: Path, grace: float = 3.0) -> list[int]:
    """Stop what a dead supervisor of `base_dir` left running: SIGTERM, then SIGKILL."""
    groups = orphaned_releases(base_dir)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pgid in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)
        deadline = time.monotonic() + grace
        while any(pid_alive(p) for p in groups) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not any(pid_alive(p) for p in groups):
            break
    return groups


def _is_supervisor(pid: int) -> bool:
    """A pid from a stale record may belong to another program by now: never signal that."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"trainmaster" in argv and b"serve" in argv


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


def _last_line(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return lines[-1] if lines else "no output"

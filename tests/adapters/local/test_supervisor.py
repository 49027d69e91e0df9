"""The local target across separate CLI invocations: a real supervisor process, real releases,
real sockets on loopback. Each test leaves no process behind under its tmp_path."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.adapters.local.test_local_cluster import V1, V2, local_policy_text
from trainmaster.adapters.local.supervisor import SupervisorInfo, info_path, pid_alive, read_info

pytestmark = pytest.mark.slow


def trainmaster(base: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """One CLI invocation in its own process."""
    argv = [sys.executable, "-m", "trainmaster", "--policy", str(base / "trainmaster.yaml"), *args]
    return subprocess.run(argv, check=False, cwd=base, capture_output=True, text=True, timeout=60)


def workspace(base: Path) -> Path:
    (base / "trainmaster.yaml").write_text(local_policy_text())
    for image, version in ((V1, "1.0.0"), (V2, "2.0.0")):  # artifact dirs: one per digest
        artifact = base / ".trainmaster" / "artifacts" / image.rsplit(":", 1)[1]
        artifact.mkdir(parents=True)
        (artifact / "VERSION").write_text(version)
    return base


def wait_for(base: Path, pid: int, timeout: float = 20.0) -> SupervisorInfo:
    from trainmaster.adapters.local.client import answers

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = read_info(base)
        if found is not None and found.pid == pid and answers(found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"no supervisor answered for {base}")


def processes_under(root: Path) -> list[str]:
    """Live processes (not this one) whose cwd or command line is under `root`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone, or a zombie
        if cwd.startswith(str(root)) or str(root) in cmdline:
            found.append(f"{entry.name}: {cmdline}")
    return found


def listening_addresses(pid: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp* shows them) of `pid`'s listening sockets."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.add(fields[1].rsplit(":", 1)[0])
    return found


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], SupervisorInfo]]:
    base = workspace(tmp_path)
    argv = [sys.executable, "-m", "trainmaster", "local", "serve"]
    process = subprocess.Popen(argv, cwd=base, stdout=subprocess.DEVNULL)
    try:
        yield process, wait_for(base, process.pid)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(20)
    assert processes_under(tmp_path) == []


def test_separate_invocations_share_one_local_target(cli, tmp_path: Path, supervisor):
    process, _ = supervisor
    assert cli("rollout", "deploy", V1, "--stage", "prod", "--reason", "ship it").code == 0
    assert cli("rollout", "deploy", V2, "--stage", "prod", "--reason", "ship it").code == 0
    paused = json.loads(cli("--json", "rollout", "status", "--stage", "prod").out)
    assert paused["phase"] == "Paused" and paused["stable"] == V1 and paused["preview"] == V2
    promoted = trainmaster(
        tmp_path, "rollout", "promote", "--stage", "prod", "--reason", "dashboards green"
    )
    assert promoted.returncode == 0, promoted.stderr

    overview = json.loads(trainmaster(tmp_path, "--json", "local", "status").stdout)
    proxy = overview["rollouts"][0]["proxy"]
    assert httpx.get(proxy).text.strip() == "version 2.0.0"  # between invocations
    assert cli("rollout", "undo", "--ns", "maestro", "--reason", "error rate").code == 0
    assert httpx.get(proxy).text.strip() == "version 1.0.0"
    status = json.loads(cli("--json", "rollout", "status", "--stage", "prod").out)
    assert status["stable"] == V1 and status["phase"] == "Healthy"

    bad = cli("rollout", "undo", "--stage", "prod", "--to-revision", "9", "--reason", "back")
    assert bad.code == 2 and "unable to find revision 9" in bad.err
    audit = json.loads(cli("--json", "audit", "log").out)
    actions = [e["action"] for e in audit]
    assert actions == ["rollout.deploy", "rollout.deploy", "promote", "rollback"]
    assert {e["payload"]["backend"] for e in audit} == {"local"}
    assert audit[-1]["reason"] == "error rate"

    stopped = trainmaster(tmp_path, "local", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert process.wait(10) == 0 and not info_path(tmp_path).exists()
    assert processes_under(tmp_path) == []
    gone = cli("rollout", "status", "--stage", "prod")
    assert gone.code == 2 and "trainmaster local serve --detach" in gone.err


def test_the_control_api_wants_the_token_and_listens_on_loopback_only(
    cli, tmp_path: Path, supervisor
):
    process, info = supervisor
    assert (info_path(tmp_path).stat().st_mode & 0o777) == 0o600
    url = info.url + "/v1/health"
    assert httpx.post(url, json={}).status_code == 401
    wrong = httpx.post(url, json={}, headers={"Authorization": "Bearer " + "x" * 43})
    assert wrong.status_code == 401
    right = httpx.post(url, json={}, headers={"Authorization": f"Bearer {info.token}"})
    assert right.status_code == 200 and right.json()["pid"] == process.pid

    from trainmaster.adapters.local.client import LocalClient
    from trainmaster.rollout.plan import Operation
    from trainmaster.rollout.port import Target

    client = LocalClient(info)
    prod = Target("prod", "maestro", "maestro")
    client.deploy(prod, V1)  # the prod proxy listens now, beside the control API
    stale = client.plan(prod, Operation("abort"))
    client.deploy(prod, V2)  # someone else changed the rollout since that plan
    retried = client.apply(prod, stale)  # made again from a fresh read, then applied
    assert retried.resource_version != stale.resource_version
    assert client.status(prod).phase == "Degraded" and client.status(prod).stable == V1
    client.close()
    assert listening_addresses(process.pid) == {"0100007F"}  # 127.0.0.1, nothing else

    policy = tmp_path / "trainmaster.yaml"  # edited after the supervisor read it
    policy.write_text(policy.read_text().replace("scale_down_delay: 30m", "scale_down_delay: 1m"))
    changed = cli("rollout", "status", "--stage", "prod")
    assert changed.code == 2 and "runs another version of the policy" in changed.err
    assert "policy changed" in cli("local", "status").err


def test_after_a_crash_the_next_supervisor_stops_the_orphans_and_sigterm_stops_all(
    cli, tmp_path: Path, supervisor
):
    crashed, _ = supervisor
    assert cli("rollout", "deploy", V1, "--stage", "prod", "--reason", "ship it").code == 0
    overview = json.loads(cli("--json", "local", "status").out)
    orphan = overview["rollouts"][0]["active"]["pid"]
    crashed.kill()  # SIGKILL: no chance to stop its releases
    crashed.wait(10)
    assert pid_alive(orphan) and read_info(tmp_path) is not None  # a stale record
    refused = cli("rollout", "deploy", V1, "--stage", "prod", "--reason", "ship it")
    assert refused.code == 2 and "local serve --detach" in refused.err

    started = trainmaster(tmp_path, "local", "serve", "--detach")
    assert started.returncode == 0, started.stderr
    assert "stale" in started.stderr and "stopped 1 release(s)" in started.stderr
    assert not pid_alive(orphan)
    info = read_info(tmp_path)
    assert info is not None and info.pid != crashed.pid
    log = info_path(tmp_path).with_name("supervisor.log")
    assert (log.stat().st_mode & 0o777) == 0o600  # its output may name paths and secrets' uses
    assert cli("rollout", "deploy", V2, "--stage", "prod", "--reason", "ship it").code == 0
    again = trainmaster(tmp_path, "local", "serve", "--detach")
    assert again.returncode == 0 and "already running" in again.stdout
    shown = cli("local", "status")
    assert shown.code == 0 and "active: blue" in shown.out

    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while processes_under(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_under(tmp_path) == []
    assert not info_path(tmp_path).exists()
    assert cli("local", "status").code == 1

"""Two real `trainmaster worker` processes on one PostgreSQL: the post-promotion watch runs in
one of them; SIGKILL it mid-watch and the other takes the watch over once the lease lapses,
resumes the same analysis from its checkpoint and ends it as the first would have; SIGTERM
drains. A second test: the scheduled cut happens at its instant with no command typed, once.

Real parts: PostgreSQL, Prometheus (backfilled around now), git, the Kubernetes emulator on
127.0.0.1 serving Argo Rollouts, the CLI in subprocesses."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.emulators.kubernetes.fixtures import GOOD, NEXT, Cluster
from tests.gates.traffic import Traffic, record
from tests.prometheus_server import Samples, prometheus_with
from tests.train.conftest import COMMITS
from tests.train.fakes import FakeVerifier, make_repo
from trainmaster.adapters.kubernetes.rollouts import ArgoRolloutsCluster
from trainmaster.audit import AuditLog
from trainmaster.config import Policy, load_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.jobs.model import Job, JobStatus
from trainmaster.rollout.backends import target_for
from trainmaster.store import Store, open_store
from trainmaster.store.jobs import listing
from trainmaster.train.rules import train_path
from trainmaster.train.service import TrainService

LEASE = 3


@contextlib.contextmanager
def live_prometheus(prod_hash: str) -> Iterator[str]:
    """Healthy `maestro` traffic from an hour ago to a quarter of an hour from now, its pods
    named as the serving ReplicaSet's (kube-prometheus labels series with the pod)."""
    now = time.time()
    samples = Samples()
    record(samples, Traffic("maestro", pod_hash=prod_hash), now - 3600, now + 900)
    record(samples, Traffic("maestro", namespace="maestro-staging"), now - 3600, now + 900)
    with prometheus_with(samples) as url:
        yield url


def write_policy(root: Path, kubeconfig: Path, prometheus: str, automation: str, cron: str) -> Path:
    text = seed_policy_text("acme", "maestro")
    text = text.replace("      for: 30m ", "      for: 20s ").replace(
        "      interval: 30s", "      interval: 2s"
    )
    text = text.replace("  forge: github", "  forge: none").replace(
        'cron: "0 18 * * 4"', f'cron: "{cron}"'
    )
    text = text.replace(
        "  prometheus_url: http://127.0.0.1:9090",
        f"  prometheus_url: {prometheus}\n  kubeconfig: {kubeconfig}",
    )
    path = root / "trainmaster.yaml"
    path.write_text(text + f"\nautomation:\n{automation}\n  lease: {LEASE}s\n", encoding="utf-8")
    return path


class Workers:
    def __init__(self, root: Path, store_url: str) -> None:
        self.root, self.store_url = root, store_url
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, count: int = 2, *, with_server: bool = False) -> None:
        """`count` replicas: `trainmaster worker`s, the first a `trainmaster serve` if asked."""
        env = {**os.environ, "TRAINMASTER_STORE_URL": self.store_url, "PYTHONUNBUFFERED": "1"}
        for n in range(count):
            command = ["worker"]
            if with_server and n == 0:
                from tests.servers import free_port

                self.port = free_port()
                command = ["serve", "--port", str(self.port)]
            log = (self.root / f"replica{n}.log").open("wb")
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "trainmaster", *command], cwd=self.root, env=env,
                stdout=log, stderr=subprocess.STDOUT))  # fmt: skip

    def by_pid(self, pid: int) -> subprocess.Popen[bytes]:
        return next(p for p in self.processes if p.pid == pid)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(10)


@pytest.fixture
def stack() -> Iterator[contextlib.ExitStack]:
    with contextlib.ExitStack() as opened:
        yield opened


@pytest.fixture
def workers(tmp_path: Path, postgres_url: str) -> Iterator[Workers]:
    started = Workers(tmp_path, postgres_url)
    yield started
    started.stop()


def jobs(store: Store) -> list[Job]:
    with store.transaction() as s:
        return listing(s, limit=100)


def wait_for(what: str, check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def freeze_a_replica_mid_tick(
    store: Store, workers: Workers
) -> tuple[Job, subprocess.Popen[bytes]]:
    """SIGSTOP the replica running a watch tick while it still holds it (a kill -9 then lands
    mid-tick for sure; a tick is short, so try until the stop catches one)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        running = [
            j for j in jobs(store) if j.kind == "gate.watch" and j.status is JobStatus.RUNNING
        ]
        if running:
            process = workers.by_pid(int(str(running[0].owner).split(":")[1]))
            process.send_signal(signal.SIGSTOP)
            again = next(j for j in jobs(store) if j.id == running[0].id)
            if again.status is JobStatus.RUNNING and again.owner == running[0].owner:
                return again, process
            process.send_signal(signal.SIGCONT)
        time.sleep(0.005)
    raise AssertionError("never caught a replica inside a watch tick")


def promote_to_prod(policy: Policy, store: Store, repo: Path, base: Path) -> str:
    """A train through both stages, as people and CI would take it (the gates' verdicts given:
    the gates themselves are tested elsewhere), ending promoted on prod just now."""
    now = datetime.now(UTC)
    clock = [now - timedelta(minutes=30)]
    cluster = ArgoRolloutsCluster.from_policy(policy, base)
    verifier = FakeVerifier({n: list(policy.stages[n].gates) for n in train_path(policy)})

    def service(actor: str) -> TrainService:
        return TrainService(policy, store, repo, cluster=cluster, verifier=verifier,
                            clock=lambda: clock[0], actor=actor)  # fmt: skip

    train = service("captain").cut().train_id
    service("ci").record_artifact(train, NEXT)
    service("captain").deploy(train, "stage")
    service("captain").verify(train, "stage")
    service("alice").approve(train, "stage", "alice", "stage is good")
    service("carol").promote(train, "stage", "carol", "ship it to stage")
    service("carol").deploy(train, "prod")
    service("carol").verify(train, "prod")
    clock[0] = now - timedelta(minutes=11)
    service("alice").approve(train, "prod", "alice", "prod verification passed")
    service("bob").approve(train, "prod", "bob", "prod verification passed")
    clock[0] = datetime.now(UTC)
    service("carol").promote(train, "prod", "carol", "release it")
    return train


@pytest.mark.slow
@pytest.mark.postgres
def test_a_killed_replicas_watch_is_taken_over_and_decided_the_same(
    stack: contextlib.ExitStack,
    tmp_path: Path,
    postgres_url: str,
    k8s: Cluster,
    workers: Workers,
) -> None:
    k8s.rollout("maestro-staging", image=GOOD, auto=True)
    k8s.rollout("maestro", image=GOOD)
    repo = make_repo(tmp_path, COMMITS)
    path = write_policy(
        tmp_path, k8s.kubeconfig, "http://127.0.0.1:1", "  watch: true", "0 18 * * 4"
    )
    policy = load_policy(path)
    store = open_store(postgres_url, tmp_path, upgrade=True)
    train = promote_to_prod(policy, store, repo, tmp_path)
    serving = ArgoRolloutsCluster.from_policy(policy, tmp_path).status(target_for(policy, "prod"))
    assert serving.stable == NEXT and serving.active_hash
    prometheus = stack.enter_context(live_prometheus(serving.active_hash))
    write_policy(tmp_path, k8s.kubeconfig, prometheus, "  watch: true", "0 18 * * 4")
    workers.start(2)
    held, killed = freeze_a_replica_mid_tick(store, workers)
    killed.send_signal(signal.SIGKILL)  # frozen while holding a tick's lease, now gone
    killed.wait(10)
    done = wait_for("the watch to end", lambda: [
        j for j in jobs(store) if j.kind == "gate.watch" and "status" in j.result])[0]  # fmt: skip
    assert done.key.startswith(f"gate.watch@{train}/prod/1#")
    assert done.result["status"] == "passed" and done.owner != held.owner
    taken_over = next(j for j in jobs(store) if j.key == held.key)
    assert taken_over.status is JobStatus.SUCCEEDED and taken_over.attempts == 2
    assert taken_over.owner != held.owner and taken_over.started_at is not None
    assert taken_over.started_at - held.started_at < timedelta(seconds=30)  # type: ignore[operator]
    assert not [j for j in jobs(store) if j.status is JobStatus.RUNNING]
    actions = [e.action for e in AuditLog(store).events()]
    assert actions.count("gate.watch.start") == 1 and actions.count("gate.watch.passed") == 1
    assert "rollback" not in actions and AuditLog(store).verify() is None
    survivor = next(p for p in workers.processes if p is not killed)
    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(15) == 0
    store.dispose()


@pytest.mark.slow
@pytest.mark.postgres
def test_the_train_is_cut_at_its_instant_once_by_the_server_and_a_replica(
    tmp_path: Path, postgres_url: str, workers: Workers
) -> None:
    make_repo(tmp_path, COMMITS)
    instant = (datetime.now(UTC) + timedelta(seconds=70)).replace(second=0, microsecond=0)
    cron = f"{instant.minute} {instant.hour} * * *"
    write_policy(tmp_path, tmp_path / "none", "http://127.0.0.1:1", "  cut: true", cron)
    store = open_store(postgres_url, tmp_path, upgrade=True)
    workers.start(2, with_server=True)
    key = f"train.cut@{instant.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    planned = wait_for("the cut to be planned", lambda: [j for j in jobs(store) if j.key == key])[0]
    assert planned.status is JobStatus.SCHEDULED and planned.run_at == instant
    done = wait_for("the cut", lambda: [
        j for j in jobs(store) if j.key == key and j.status is JobStatus.SUCCEEDED], timeout=120)[0]  # fmt: skip
    assert done.result["train"] == "v1.1.0" and done.started_at is not None
    assert done.started_at - instant < timedelta(seconds=3)
    events = [e for e in AuditLog(store).events() if e.action == "train.cut"]
    assert [(e.actor, e.target) for e in events] == [("trainmaster[bot]", "train/v1.1.0")]
    listed = json.loads(subprocess.run(
        [sys.executable, "-m", "trainmaster", "--json", "jobs", "list"], cwd=tmp_path,
        env={**os.environ, "TRAINMASTER_STORE_URL": postgres_url}, capture_output=True,
        check=True).stdout)  # fmt: skip
    assert [r["key"] for r in listed].count(key) == 1
    import httpx

    ready = httpx.get(f"http://127.0.0.1:{workers.port}/readyz", timeout=5, trust_env=False)
    assert ready.status_code == 200 and ready.json()["jobs"] is True  # the server runs jobs too
    store.dispose()

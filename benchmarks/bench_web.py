"""`trainmaster serve` under load: the board with 500 trains and the train page with 2,000 audit
events (server time, from the Server-Timing header, p50/p95), then 50 concurrent readers over
real HTTP on 127.0.0.1, on SQLite and on PostgreSQL.

Usage: PYTHONPATH=. .venv/bin/python benchmarks/bench_web.py [sqlite|postgresql ...]
       PYTHONPATH=. .venv/bin/python benchmarks/bench_web.py startup   (serve's start-up time)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import select
from tests.servers import postgres_server
from tests.train.fakes import FakeCluster, make_repo
from tests.web.browser import serving
from tests.web.conftest import GATES, SECRET, Verifier, policy_text

from trainmaster.audit.log import append_event
from trainmaster.config import load_policy
from trainmaster.store import open_store
from trainmaster.store.models import StageRunRow, TrainRow
from trainmaster.train import use_cases as uc
from trainmaster.web.people import Person
from trainmaster.web.session import COOKIE
from trainmaster.web.settings import Site
from trainmaster.wiring import App

TRAINS, EVENTS, READERS, ROUNDS = 500, 2000, 50, 20
BUSY = "v1.1.0"


def seed(backends: App) -> None:
    """One real train (cut … verified on prod), 2,000 audit events on it, 499 copies of it."""
    steps = [
        lambda: uc.cut(backends, uc.CutInput("captain", "bench")),
        lambda: uc.artifact(backends, uc.ArtifactInput("captain", BUSY, "sha256:" + "a" * 64)),
        lambda: uc.deploy(backends, uc.DeployInput("captain", BUSY, "stage")),
        lambda: uc.verify(backends, uc.VerifyInput("captain", BUSY, "stage")),
    ]
    for step in steps:
        step()
    store = backends.store
    with store.transaction() as session:
        for n in range(EVENTS):
            append_event(
                session,
                actor="alice",
                action="train.note",
                target=f"train/{BUSY}",
                reason=f"note {n}: watching the canary",
            )
    with store.transaction() as session:
        row = session.get(TrainRow, BUSY)
        runs = session.execute(select(StageRunRow).where(StageRunRow.train_id == BUSY)).scalars()
        runs = list(runs)
        assert row is not None
        for n in range(2, TRAINS + 1):
            train = f"v2.{n}.0"
            session.add(
                TrainRow(
                    **{
                        **_columns(row),
                        "id": train,
                        "version": train[1:],
                        "kind": "hotfix" if n % 10 == 0 else "scheduled",
                    }
                )
            )
            session.flush()  # the train row before the runs that point at it
            for run in runs:
                columns = {k: v for k, v in _columns(run).items() if k != "id"}
                session.add(StageRunRow(**{**columns, "train_id": train}))


def _columns(row: object) -> dict[str, object]:
    table = row.__table__  # type: ignore[attr-defined]
    return {c.key: getattr(row, c.key) for c in table.columns}


def server_ms(response: httpx.Response) -> float:
    return float(response.headers["server-timing"].split("dur=")[1])


def percentiles(samples: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(samples, n=20)
    return statistics.median(samples), q[18]


@contextmanager
def workspace(kind: str) -> Iterator[tuple[Site, str]]:
    with (
        tempfile.TemporaryDirectory(prefix="tm-bench-web-") as tmp,
        _store_url(kind, Path(tmp)) as url,
    ):
        path = Path(tmp)
        make_repo(path, ["feat(api): orders (#12)", "fix: carts (#13)"])
        (path / "trainmaster.yaml").write_text(policy_text(url))
        (path / ".gitignore").write_text("trainmaster.yaml\n.gitignore\nstate.db*\n")
        store = open_store(url, path, upgrade=True)
        backends = App(
            load_policy(path / "trainmaster.yaml"),
            path,
            repo_path=path,
            store=store,
            cluster=FakeCluster(),
            verifier=Verifier(GATES),
        )
        seed(backends)
        site = Site(backends=backends, secret=SECRET)
        with serving(site) as base:
            yield site, base
        store.dispose()


@contextmanager
def _store_url(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'state.db'}"
        return
    with postgres_server() as url:
        yield url


def cookie(base: str, site: Site) -> dict[str, str]:
    from trainmaster.web.session import Sessions

    value, _ = Sessions(SECRET, 3600).issue(Person("alice"))
    return {COOKIE: value}


def measure(kind: str) -> None:
    with workspace(kind) as (site, base):
        cookies = cookie(base, site)
        with httpx.Client(base_url=base, cookies=cookies) as client:
            for path, label in (
                ("/", f"board, {TRAINS} trains"),
                (f"/trains/{BUSY}", f"train page, {EVENTS} audit events"),
            ):
                client.get(path).raise_for_status()  # warm: templates, the announcement cache
                times = []
                for _ in range(ROUNDS * 2):
                    response = client.get(path)
                    response.raise_for_status()
                    times.append(server_ms(response))
                median, p95 = percentiles(times)
                print(f"| {kind} | {label} | {median:.1f} | {p95:.1f} | {len(times)} |")
        readers(kind, base, cookies)


def readers(kind: str, base: str, cookies: dict[str, str]) -> None:
    errors: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def read() -> None:
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
            for n in range(ROUNDS):
                path = "/" if n % 2 else f"/trains/{BUSY}"
                began = time.perf_counter()
                try:
                    response = client.get(path)
                    ok = response.status_code == 200
                except httpx.HTTPError as e:
                    ok, response = False, None
                    with lock:
                        errors.append(type(e).__name__)
                with lock:
                    latencies.append((time.perf_counter() - began) * 1000)
                    if not ok and response is not None:
                        errors.append(str(response.status_code))

    threads = [threading.Thread(target=read) for _ in range(READERS)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    median, p95 = percentiles(latencies)
    print(
        f"| {kind} | {READERS} readers × {ROUNDS} pages | {len(latencies)} requests in "
        f"{wall:.1f} s; client latency median {median:.0f} ms, p95 {p95:.0f} ms "
        f"| errors: {len(errors)} |"
    )


def _cpu_ms(pid: int) -> float:
    """User + system CPU the process has used so far (Linux /proc), in ms: what start-up costs
    on a machine whose cores other work shares."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def startup(runs: int = 10) -> None:
    """`trainmaster serve` from exec to the first answer of /healthz, against `trainmaster
    --version` (the interpreter and the CLI entry point alone) in the same run."""
    import os
    import subprocess

    from tests.servers import free_port

    with tempfile.TemporaryDirectory(prefix="tm-bench-serve-") as tmp:
        path = Path(tmp)
        make_repo(path, ["feat: one (#1)"])
        (path / "trainmaster.yaml").write_text(policy_text(f"sqlite:///{path / 'state.db'}"))
        open_store(f"sqlite:///{path / 'state.db'}", path, upgrade=True).dispose()
        env = {**os.environ, "TRAINMASTER_SESSION_SECRET": "x" * 40}
        exe = str(Path(sys.executable).with_name("trainmaster"))
        serve, version, cpu = [], [], []
        for _ in range(runs):
            began = time.perf_counter()
            subprocess.run([exe, "--version"], check=True, capture_output=True)
            version.append((time.perf_counter() - began) * 1000)
            port = free_port()
            began = time.perf_counter()
            process = subprocess.Popen(
                [exe, "serve", "--port", str(port)],
                cwd=path,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz").raise_for_status()
                    break
                except httpx.TransportError:
                    time.sleep(0.01)
            serve.append((time.perf_counter() - began) * 1000)
            cpu.append(_cpu_ms(process.pid))
            process.terminate()
            process.wait()
    rows = (
        ("trainmaster --version", version),
        ("trainmaster serve → /healthz (wall)", serve),
        ("trainmaster serve → /healthz (CPU of the server process)", cpu),
    )
    for name, samples in rows:
        median, p95 = percentiles(samples)
        print(f"| {name} | {median:.0f} | {p95:.0f} | {runs} |")


if __name__ == "__main__":
    if sys.argv[1:] == ["startup"]:
        print("| command | median ms | p95 ms | runs |")
        print("|:---|---:|---:|---:|")
        startup()
        sys.exit(0)
    kinds = sys.argv[1:] or ["sqlite", "postgresql"]
    print("| store | page | server median ms | server p95 ms | requests |")
    print("|:---|:---|---:|---:|---:|")
    for kind in kinds:
        measure(kind)

"""A workspace for the web tests: a real git repository, a seed policy with people in the
release-captain role, the train's cluster and verifier as in the CLI tests, the web app on the
same store, and a real Prometheus holding a p95 latency and error-ratio breach for prod."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.gates.traffic import Traffic, record
from tests.prometheus_server import Samples, prometheus_with
from tests.train.fakes import FakeCluster, FakeVerifier, make_repo
from trainmaster.config import load_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.store import Store, open_store
from trainmaster.web.app import create_app
from trainmaster.web.people import Person, roles_of
from trainmaster.web.session import COOKIE, Sessions
from trainmaster.web.settings import Site

T0 = 1_750_000_200.0  # the dashboard's "now": on every step grid
NOW = datetime.fromtimestamp(T0, UTC)
MIN = 60.0
SERVICE = "maestro-web"
SECRET = b"s" * 32
COMMITS = ["feat(api): orders (#12)", "fix: carts <script>alert('subject')</script> (#13)"]
GATES = {
    "stage": [
        "ci-checks",
        "smoke",
        "load",
        "p95-latency",
        "burn-rate",
        "error-rate",
        "saturation",
        "migrations",
    ],
    "prod": ["p95-latency", "burn-rate", "error-rate", "saturation", "migrations"],
}
EVIDENCE = {  # what a real gate records: the value, the threshold and the measured selector
    "p95-latency": {"value": 0.31, "threshold": 1.5, "comparison": ">", "query": "p95{job=x}"},
}


def policy_text(store_url: str) -> str:
    text = seed_policy_text("acme", "maestro").replace("forge: github", "forge: none")
    text = text.replace("      wait: 10m", "      wait: 0s").replace(
        "wait_timer: 10m", "wait_timer: 0m"
    )
    text = text.replace(
        "    title: Release Captain\n    members: []",
        "    title: Release Captain\n    members: [captain, alice, bob, carol]",
    )
    text = text.replace(
        "    title: Deployment Engineer\n    members: []",
        "    title: Deployment Engineer\n    members: [dora]",
    )
    text = text.replace(
        "    namespace: maestro\n    service: maestro\n",
        f"    namespace: maestro\n    service: {SERVICE}\n",
    )
    text += "\nauthorization:\n  reason_min_length: 10\n"
    return text.replace("sqlite:///.trainmaster/state.db", store_url)


class Verifier(FakeVerifier):
    def verify(self, stage, digest, *, at, inputs=None, only=None):  # type: ignore[no-untyped-def]
        from trainmaster.train.verification import GateOutcome, Verification

        result = super().verify(stage, digest, at=at, inputs=inputs, only=only)
        return Verification(
            tuple(GateOutcome(g.gate, g.verdict, EVIDENCE.get(g.gate, {})) for g in result.gates)
        )


@dataclass
class Project:
    path: Path
    cluster: FakeCluster
    store_url: str


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str) -> Project:
    make_repo(tmp_path, COMMITS)
    (tmp_path / "trainmaster.yaml").write_text(policy_text(store_url))
    open_store(store_url, tmp_path, upgrade=True).dispose()  # the CLI expects it migrated
    (tmp_path / ".gitignore").write_text(
        ".trainmaster/\ntrainmaster.yaml\n.gitignore\nstate.db*\n.xdg-cache/\n"
    )
    cluster = FakeCluster()
    from trainmaster.rollout import backends
    from trainmaster.wiring import App

    monkeypatch.setattr(
        backends, "cluster_for", lambda policy, base_dir=None, shared=False: cluster
    )
    monkeypatch.setattr(App, "verifier", lambda self, url=None: Verifier(GATES))
    return Project(tmp_path, cluster, store_url)


def to_prod_approval(cli: Callable[..., object], train: str = "v1.1.0") -> None:
    """Drive a train through the CLI to prod awaiting its two approvals (cut by `captain`)."""
    steps = [
        ("--actor", "captain", "train", "cut"),
        ("train", "artifact", train, "sha256:" + "a" * 64),
        ("train", "deploy", train, "--env", "stage"),
        ("train", "verify", train, "--env", "stage"),
        ("--actor", "alice", "approve", train, "--env", "stage", "--reason", "stage looks fine"),
        ("--actor", "bob", "promote", train, "--env", "stage", "--reason", "stage gates green"),
        ("train", "deploy", train, "--env", "prod"),
        ("train", "verify", train, "--env", "prod"),
    ]
    for args in steps:
        result = cli(*args)
        assert result.code == 0, (args, result.err)  # type: ignore[attr-defined]


def make_site(project: Project, store: Store, **kwargs: object) -> Site:
    from trainmaster.wiring import App

    policy = load_policy(project.path / "trainmaster.yaml")
    backends = App(policy, project.path, repo_path=project.path, store=store)
    return Site(backends=backends, secret=SECRET, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def web_store(project: Project) -> Iterator[Store]:
    store = open_store(project.store_url, project.path, upgrade=True)
    yield store
    store.dispose()


@pytest.fixture
def site(project: Project, web_store: Store) -> Site:
    return make_site(project, web_store, now=lambda: NOW)


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site), base_url="https://testserver") as test_client:
        yield test_client


def sign_in(client: TestClient, site: Site, login: str) -> str:
    """Put a valid session cookie for `login` in the client; return its CSRF token."""
    sessions: Sessions = client.app.state.sessions  # type: ignore[attr-defined]
    value, session = sessions.issue(Person(login, "", roles_of(site.policy, login)))
    client.cookies.set(COOKIE, value, domain="testserver.local")  # as the server would set it
    return session.csrf


@pytest.fixture(scope="session")
def breach_prometheus() -> Iterator[str]:
    """prod's service: p95 at 2 s from 6 minutes before T0, 5 % errors from 10 minutes."""
    samples = Samples()
    traffic = Traffic(
        SERVICE,
        latency=lambda t: 2.0 if t > T0 - 6 * MIN else 0.3,
        error_ratio=lambda t: 0.05 if t > T0 - 10 * MIN else 0.0,
    )
    record(samples, traffic, T0 - 2 * 3600, T0 + 5 * MIN)
    with prometheus_with(samples) as url:
        yield url

"""The generated release train, run job by job in the workflow runner against real git, the
GitHub and Kubernetes emulators and a real Prometheus fed with the pods' golden signals.

A good train ships; a train broken in production is stopped by the verification of the prod
preview colour; a train that fails only under full traffic is promoted, then rolled back by the
watch job, which fails the run naming the criterion. Re-running a failed job repeats no effect.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulators.github.fixtures import TOKEN, GitHubEmulator
from tests.emulators.kubernetes.fixtures import blue_green_rollout
from tests.emulators.kubernetes.server import KubeEmulator
from tests.prometheus_server import prometheus_with
from tests.workflow_runner.conftest import ACTION, git, make_remote
from tests.workflow_runner.runner import Run, Runner
from tests.workflow_runner.traffic import Feeder, behaviour_of
from trainmaster.config.seed import seed_policy_text

pytestmark = [pytest.mark.slow, pytest.mark.prometheus]

TRAINMASTER = str(Path(sys.executable).with_name("trainmaster"))
IMAGE = "ghcr.io/acme/maestro"
STAGE_NS, PROD_NS = "maestro-staging", "maestro"
MAKEFILE = """\
smoke-test:
\t@printf '<testsuite name="smoke" tests="1" failures="0"><testcase name="health"/></testsuite>\\n' > "$(JUNIT)"
load-test:
\t@printf '{"metrics": {"http_req_failed": {"thresholds": {"rate<0.01": false}}}}\\n' > "$(K6_SUMMARY)"
"""
# The seed plan with the minutes of its gates and watch scaled to seconds, queries per namespace
# (stage and prod run the same service), and the stage's inputs the repository produces.
POLICY_EDITS = [
    ("https://api.github.com", "{github}"),
    (
        "gates: [ci-checks, smoke, load, p95-latency, burn-rate, error-rate, saturation, migrations]",
        "gates: [ci-checks, smoke, load, error-rate]",
    ),
    ("gates: [p95-latency, burn-rate, error-rate, saturation, migrations]", "gates: [error-rate]"),
    ("prod: [error-rate, migrations]", "prod: [error-rate]"),
    ("      wait: 10m", "      wait: 0s"),
    ("      wait_timer: 10m", "      wait_timer: 0m"),
    ("      for: 30m ", "      for: 20s "),
    ("      interval: 30s", "      interval: 2s"),
    ('job="$service"', 'job="$service",namespace="$namespace"'),
    ("    window: 5m", "    window: 10s"),
    ("http://127.0.0.1:9090", "{prometheus}"),
    ("  scrape_interval: 15s", "  scrape_interval: 1s"),  # the traffic feeder writes every second
]


def policy_text(github: str, prometheus: str) -> str:
    text = seed_policy_text("acme", "maestro")
    for old, new in POLICY_EDITS:
        assert old in text, old
        text = text.replace(old, new)
    return text.replace("{github}", github).replace("{prometheus}", prometheus)


@dataclass
class World:
    runner: Runner
    work: Path
    remote: Path
    kube: KubeEmulator
    github: GitHubEmulator
    store_url: str
    baseline: str  # the image prod serves before the train
    workflow: Path

    def trainmaster(self, *args: str, actor: str = "release-captain") -> Any:
        env = {**os.environ, "TRAINMASTER_STORE_URL": self.store_url, "TRAINMASTER_ACTOR": actor}
        env.pop("GITHUB_ACTIONS", None)
        done = subprocess.run(
            [TRAINMASTER, "--json", *args],
            cwd=self.work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def audit(self) -> collections.Counter[str]:
        return collections.Counter(
            e["action"] for e in self.trainmaster("audit", "log", "--limit", "0")
        )

    def image(self, namespace: str, which: str) -> str:
        """The image of the rollout's active (`activeSelector`) or preview colour."""
        status = self.kube.rollout(namespace, "maestro")["status"]["blueGreen"]
        pod_hash = status[which]
        (rs,) = [
            rs
            for rs in self.kube.replicasets(namespace)
            if rs["metadata"]["labels"]["rollouts-pod-template-hash"] == pod_hash
        ]
        return str(rs["spec"]["template"]["spec"]["containers"][0]["image"])


@pytest.fixture(scope="session")
def tool_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Like a self-hosted runner's: the action's venv is built once for all the runs (and kept
    between sessions in $TRAINMASTER_TEST_TOOL_CACHE when set: the key is the source's hash)."""
    kept = os.environ.get("TRAINMASTER_TEST_TOOL_CACHE")
    return Path(kept) if kept else tmp_path_factory.mktemp("toolcache")


@pytest.fixture
def world_for(
    tmp_path: Path, github_emulator: GitHubEmulator, tool_cache: Path, runner_for: Any
) -> Iterator[Any]:
    stack: list[Any] = []

    def build(behaviour: str, prod_approvers: tuple[str, ...] = ("alice", "bob")) -> World:
        kube = KubeEmulator()
        kube.start()
        stack.append(kube.stop)
        prom = prometheus_with("# EOF\n")
        prometheus = prom.__enter__()
        stack.append(lambda: prom.__exit__(None, None, None))
        work, remote = _repository(tmp_path, github_emulator.url, prometheus, behaviour)
        approvers = {"stage": ["alice"], "prod": list(prod_approvers)}
        runner = _runner(
            runner_for, remote, github_emulator, kube, tmp_path, tool_cache, work, approvers
        )
        baseline = f"{IMAGE}@sha256:" + _archive_digest(work, "v0.1.0")
        for namespace, auto in ((STAGE_NS, True), (PROD_NS, False)):
            _create(kube, namespace, blue_green_rollout("maestro", baseline, auto=auto))
        feeder = Feeder(
            prometheus,
            kube,
            [(STAGE_NS, "maestro"), (PROD_NS, "maestro")],
            lambda image: behaviour_of(runner.registry, image),
            production={PROD_NS},
        )
        feeder.start()
        stack.append(feeder.stop)
        _seed_github(github_emulator, git("rev-parse", "main", cwd=work), work)
        return World(
            runner,
            work,
            remote,
            kube,
            github_emulator,
            runner.s.secrets["TRAINMASTER_STORE_URL"],
            baseline,
            work / ".github/workflows/release-train.yml",
        )

    yield build
    for stop in reversed(stack):
        stop()


def _repository(tmp: Path, github: str, prometheus: str, behaviour: str) -> tuple[Path, Path]:
    files = {
        "trainmaster.yaml": policy_text(github, prometheus),
        "Makefile": MAKEFILE,
        "behaviour": "good\n",
        "app.py": "print('maestro')\n",
    }
    work, remote = make_remote(tmp, files)
    git("tag", "-a", "v0.1.0", "-m", "v0.1.0", cwd=work)
    done = subprocess.run(
        [TRAINMASTER, "checks", "generate", "--action", ACTION],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (work / "behaviour").write_text(behaviour + "\n")
    git("add", "-A", cwd=work)
    git("commit", "--quiet", "-m", "feat: answer from the new connection pool", cwd=work)
    git("push", "--quiet", "origin", "main", "v0.1.0", cwd=work)
    return work, remote


def _runner(runner_for: Any, remote: Path, github: GitHubEmulator, kube: KubeEmulator, tmp: Path, tool_cache: Path, work: Path, approvals: dict[str, list[str]]) -> Runner:  # fmt: skip
    kubeconfig = kube.write_kubeconfig(tmp / "kubeconfig").read_text()
    secrets = {
        "GITHUB_TOKEN": TOKEN,
        "TRAINMASTER_STORE_URL": f"sqlite:///{tmp / 'state.db'}",
        "KUBECONFIG_DATA": kubeconfig,
    }
    holder: list[Runner] = []

    def reviewer(environment: str, _job: str, run: Run) -> str | None:
        """The first person releases the GitHub environment with a comment (the job counts it);
        the others approve with `trainmaster approve`, each with a reason."""
        train = run.jobs["cut"].outputs["train"]
        world = World(holder[0], work, remote, kube, github, secrets["TRAINMASTER_STORE_URL"], "", work)  # fmt: skip
        first, *others = approvals[environment]
        comment = f"{first}: {environment} gates green, notes read"
        github.state.add_run_approval("acme/maestro", run.id, environment, first, comment)
        for person in others:
            reason = f"{person}: {environment} gates green, rollback plan read"
            world.trainmaster("approve", train, "--env", environment, "--reason", reason, actor=person)  # fmt: skip
        return first

    def is_reviewer(environment: str, login: str) -> bool:
        reply = httpx.get(
            f"{github.url}/repos/acme/maestro/environments/{environment}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        rules = reply.json()["protection_rules"]
        people = [r["reviewer"]["login"] for rule in rules for r in rule.get("reviewers", [])]
        return login in people

    pip = {k: v for k, v in os.environ.items() if k.startswith("PIP_")}
    runner = runner_for(
        remote,
        api_url=github.url,
        secrets=secrets,
        reviewer=reviewer,
        is_reviewer=is_reviewer,
        tool_cache=tool_cache,
        host_env=pip | {"PIP_CACHE_DIR": str(Path.home() / ".cache/pip")},
    )
    holder.append(runner)
    return runner


def _archive_digest(work: Path, ref: str) -> str:
    import hashlib

    data = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=work, capture_output=True, check=True
    ).stdout
    return hashlib.sha256(data).hexdigest()


def _create(kube: KubeEmulator, namespace: str, rollout: dict[str, Any]) -> None:
    code, body = kube.handle(
        "POST", "/api/v1/namespaces", "application/json", json.dumps({"metadata": {"name": namespace}}).encode()
    )  # fmt: skip
    assert code in (201, 409), body
    path = f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/rollouts"
    code, body = kube.handle("POST", path, "application/json", json.dumps(rollout).encode())
    assert code == 201, body


def _seed_github(github: GitHubEmulator, head: str, work: Path) -> None:
    """The repository, its environments' reviewers, and green CI checks on the train's commit."""
    from trainmaster.config import load_policy

    state = github.state
    state.add_repo("acme/maestro")
    policy = load_policy(work / "trainmaster.yaml")
    for context in policy.checks.contexts:
        if not context.endswith("(staging)"):
            state.add_check_run("acme/maestro", head, context)
    for environment, people in (("stage", ["alice"]), ("prod", ["alice", "bob"])):
        ids = [(state.users.get(p) or state.add_user(p))["id"] for p in people]
        reply = httpx.put(
            f"{github.url}/repos/acme/maestro/environments/{environment}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            json={"reviewers": [{"type": "User", "id": i} for i in ids]},
            timeout=10,
        )
        assert reply.status_code == 200, reply.text


# --- the three trains -------------------------------------------------------------------------

JOBS = [
    "cut",
    "build",
    "stage-deploy",
    "stage-verify",
    "stage-promote",
    "prod-deploy",
    "prod-verify",
    "prod-promote",
    "watch",
]


def test_a_good_train_goes_all_the_way_and_ships(world_for: Any) -> None:
    world = world_for("good")
    run = world.runner.run(world.workflow)
    assert run.results() == dict.fromkeys(JOBS, "success"), _logs(run)
    train = run.jobs["cut"].outputs["train"]
    assert train == "v0.2.0" and run.jobs["cut"].outputs["tag"] == "v0.2.0"
    status = world.trainmaster("train", "status", train)
    digest = status["digest"]
    tar = world.runner.registry / f"{digest.rsplit(':', 1)[1]}.tar"
    assert tar.exists()  # the build stand-in's artifact, pinned by its real sha256
    assert {s["stage"]: s["status"] for s in status["stages"]} == {
        "stage": "promoted",
        "prod": "promoted",
    }
    assert world.image(PROD_NS, "activeSelector") == digest
    prod = next(s for s in status["stages"] if s["stage"] == "prod")
    assert sorted((a["approver"], a["reason"], a["digest"]) for a in prod["approvals"]) == [
        ("alice", "alice: prod gates green, notes read", digest),  # from the environment
        ("bob", "bob: prod gates green, rollback plan read", digest),
    ]
    assert "passed" in run.jobs["watch"].log
    assert "| error-rate | pass |" in run.jobs["prod-verify"].summary
    actions = world.audit()
    assert actions["train.deploy"] == 2 and actions["promote"] == 2
    assert git("ls-remote", "--tags", str(world.remote), "v0.2.0", cwd=world.work)


def test_a_bad_train_is_stopped_at_the_verification_of_the_prod_preview(world_for: Any) -> None:
    world = world_for("bad")
    run = world.runner.run(world.workflow)
    expected = dict.fromkeys(JOBS, "success") | {
        "prod-verify": "failure",
        "prod-promote": "skipped",
        "watch": "skipped",
    }
    assert run.results() == expected, _logs(run)
    digest = world.trainmaster("train", "status", "v0.2.0")["digest"]
    assert world.image(PROD_NS, "activeSelector") == world.baseline  # users never saw it
    assert world.image(PROD_NS, "previewSelector") == digest
    assert "| error-rate | fail |" in run.jobs["prod-verify"].summary
    before = world.audit()

    again = world.runner.rerun_failed(run)
    assert again.results() == expected
    after = world.audit()
    assert after["train.deploy"] == before["train.deploy"] == 2
    assert after["promote"] == before["promote"] == 1


def test_a_train_bad_under_full_traffic_is_rolled_back_by_the_watch(world_for: Any) -> None:
    world = world_for("leaky")
    run = world.runner.run(world.workflow)
    assert run.results() == dict.fromkeys(JOBS, "success") | {"watch": "failure"}, _logs(run)
    watch = run.jobs["watch"]
    assert "### Gates for prod: ❌ fail" in watch.summary  # the criterion, where the team looks
    assert "| error-rate | ❌ fail |" in watch.summary
    assert world.image(PROD_NS, "activeSelector") == world.baseline
    status = world.trainmaster("train", "status", "v0.2.0")
    assert {s["stage"]: s["status"] for s in status["stages"]}["prod"] == "rolled_back"
    before = world.audit()

    again = world.runner.rerun_failed(run)
    assert again.results()["watch"] == "failure"
    assert again.jobs["watch"].attempt == 2
    assert "rolled back on prod" in again.jobs["watch"].summary
    assert world.audit() == before  # no effect repeated, not even a new watch
    assert world.image(PROD_NS, "activeSelector") == world.baseline


def test_a_promotion_refused_for_its_quorum_resumes_when_the_job_is_re_run(
    world_for: Any,
) -> None:
    world = world_for("good", prod_approvers=("alice",))
    run = world.runner.run(world.workflow)
    assert run.results() == dict.fromkeys(JOBS, "success") | {
        "prod-promote": "failure",
        "watch": "skipped",
    }, _logs(run)
    assert "exit 5 (refused by policy)" in run.jobs["prod-promote"].summary
    assert "approval" in run.jobs["prod-promote"].log
    assert world.image(PROD_NS, "activeSelector") == world.baseline

    reason = "bob: notes read, dashboards green"
    world.trainmaster("approve", "v0.2.0", "--env", "prod", "--reason", reason, actor="bob")
    again = world.runner.rerun_failed(run)
    assert again.results() == dict.fromkeys(JOBS, "success"), _logs(again)
    assert {j: again.jobs[j].attempt for j in ("prod-verify", "prod-promote", "watch")} == {
        "prod-verify": 1,
        "prod-promote": 2,
        "watch": 2,
    }
    digest = world.trainmaster("train", "status", "v0.2.0")["digest"]
    assert world.image(PROD_NS, "activeSelector") == digest
    actions = world.audit()
    # alice approved the environment on both attempts: her approval is recorded once
    assert (actions["approve"], actions["train.deploy"], actions["promote"]) == (3, 2, 2)


def test_a_cut_that_failed_half_way_is_finished_by_the_re_run(world_for: Any) -> None:
    world = world_for("good")
    world.github.fail("status", method="POST", path=r"/releases$", status=403)
    run = world.runner.run(world.workflow)
    assert run.results() == {"cut": "failure"} | dict.fromkeys(JOBS[1:], "skipped"), _logs(run)
    assert git("ls-remote", "--tags", str(world.remote), "v0.2.0", cwd=world.work)  # pushed
    assert not world.github.state.releases.get("acme/maestro")  # the draft was refused

    again = world.runner.rerun_failed(run)
    assert again.results() == dict.fromkeys(JOBS, "success"), _logs(again)
    assert "cut from this commit by an earlier attempt" in again.jobs["cut"].log
    (release,) = world.github.state.releases["acme/maestro"].values()
    assert (release["tag_name"], release["draft"]) == ("v0.2.0", True)
    assert [t["train"] for t in world.trainmaster("train", "list")] == ["v0.2.0"]


def _logs(run: Run) -> str:
    return "\n".join(
        f"== {name} ({job.result})\n{job.log[-3000:]}" for name, job in run.jobs.items()
    )

"""The custom deployment protection rule, end to end: GitHub (the emulator, validating every
request against @octokit/openapi) holds a workflow job targeting `prod`; its
`deployment_protection_rule` webhook comes in signed; the job runner answers through
`POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule` only once the
answer is known, from the train's own promotion rules, on both stores."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.emulators.github.fixtures import GitHubEmulator, github_emulator  # noqa: F401
from tests.github_app.conftest import REPO, _examples, client_for, deliver, example, make_policy
from tests.github_app.conftest import validate as validate_payload
from tests.train.conftest import COMMITS, Rig
from tests.train.fakes import DIGEST_A, make_repo
from trainmaster.jobs.handlers import Work, handlers
from trainmaster.jobs.runner import Runner
from trainmaster.store import Store, deliveries
from trainmaster.store.models import TrainRow
from trainmaster.wiring import App

RUN_ID = 4242


class Scene:
    def __init__(self, store: Store, tmp_path: Path, github: GitHubEmulator) -> None:
        self.store, self.github = store, github
        github.state.add_repo(REPO)
        github.state.add_waiting_run(REPO, RUN_ID, "prod")
        self.policy = make_policy(tmp_path, github_url=github.url)
        self.rig = Rig(self.policy, store, make_repo(tmp_path / "repo", COMMITS))
        self.service = self.rig.service()
        self.train = self.service.cut().train_id
        self.service.record_artifact(self.train, DIGEST_A)
        self.runner = Runner(store, handlers(Work(self.app)), clock=self.rig.clock)

    def app(self) -> App:
        rig = self.rig
        return App(self.policy, rig.repo, repo_path=rig.repo, clock=rig.clock, store=self.store,
                   cluster=rig.cluster)  # fmt: skip

    def to_prod(self) -> None:
        """stage verified, approved and promoted; prod deployed (not verified yet)."""
        s, train = self.service, self.train
        s.deploy(train, "stage")
        s.verify(train, "stage")
        s.approve(train, "stage", "alice", "stage looks fine")
        s.promote(train, "stage", "bob", "stage gates green")
        s.deploy(train, "prod")

    def commit(self) -> str:
        with self.store.transaction() as session:
            return str(session.execute(select(TrainRow.commit_sha)).scalar_one())

    def request(self, environment: str = "prod") -> dict[str, Any]:
        """A `deployment_protection_rule.requested` payload, valid by GitHub's schema."""
        base = example("pull_request", "opened")
        deployment = copy.deepcopy(_examples()["deployment"][0]["deployment"])
        deployment.update(sha=self.commit(), environment=environment, ref="release/v1")
        payload = {
            "action": "requested",
            "environment": environment,
            "event": "workflow_dispatch",
            "deployment_callback_url": f"https://api.github.com/repos/{REPO}/actions/runs/"
            f"{RUN_ID}/deployment_protection_rule",
            "deployment": deployment,
            "repository": base["repository"],
            "sender": base["sender"],
            "installation": base["installation"],
        }
        validate_payload("deployment_protection_rule", payload)
        return payload

    def later(self, **kwargs: float) -> None:
        self.rig.clock.advance(**kwargs)
        self.runner.run_due()

    def answers(self) -> list[dict[str, Any]]:
        return list(self.github.state.protection_answers)

    def outcome(self, delivery: str) -> str:
        with self.store.transaction() as session:
            found = deliveries.get(session, delivery)
        assert found is not None
        return found.outcome


@pytest.fixture
def scene(store: Store, tmp_path: Path, github_emulator: GitHubEmulator) -> Scene:  # noqa: F811
    return Scene(store, tmp_path, github_emulator)


@pytest.fixture
def hooks(scene: Scene, webhook_env: None) -> Iterator[TestClient]:
    yield from client_for(scene.app(), scene.rig.clock)


def test_prod_is_held_until_gates_pass_and_two_people_approve_then_approved(
    scene: Scene, hooks: TestClient
) -> None:
    scene.to_prod()
    assert deliver(hooks, "deployment_protection_rule", scene.request(), "d-1").status_code == 202
    scene.runner.run_due()
    assert scene.answers() == []  # prod not verified yet: no answer, not a rejection
    assert scene.outcome("d-1").startswith("waiting: prod has not passed verification")
    scene.service.verify(scene.train, "prod")
    scene.service.approve(scene.train, "prod", "alice", "prod gates are green")
    scene.later(seconds=11)
    assert scene.answers() == []
    assert "approvals: 1 of 2" in scene.outcome("d-1")
    assert "wait timer" in scene.outcome("d-1")
    scene.service.approve(scene.train, "prod", "alice", "approving twice counts once")
    scene.later(seconds=11)
    assert scene.answers() == [] and "approvals: 1 of 2" in scene.outcome("d-1")
    scene.service.approve(scene.train, "prod", "bob", "looks good to me too")
    scene.later(minutes=10)
    (answer,) = scene.answers()
    assert answer["state"] == "approved" and answer["environment_name"] == "prod"
    assert answer["run_id"] == RUN_ID
    assert scene.outcome("d-1").startswith("approved")
    scene.later(minutes=1)
    assert len(scene.answers()) == 1  # finished: no follow-up answers again


def test_a_failing_gate_is_rejected_with_the_rule_in_the_comment(
    scene: Scene, hooks: TestClient
) -> None:
    scene.to_prod()
    scene.rig.verifier.verdicts["error-rate"] = "fail"
    scene.service.verify(scene.train, "prod")
    deliver(hooks, "deployment_protection_rule", scene.request(), "d-2")
    scene.runner.run_due()
    (answer,) = scene.answers()
    assert answer["state"] == "rejected"
    assert "gate error-rate failed for this digest" in answer["comment"]
    assert "approvals: 0 of 2" in answer["comment"]  # every unmet rule, not only the first


def test_a_commit_no_train_was_cut_from_is_rejected(scene: Scene, hooks: TestClient) -> None:
    payload = scene.request()
    payload["deployment"]["sha"] = "f" * 40
    deliver(hooks, "deployment_protection_rule", payload, "d-3")
    scene.runner.run_due()
    (answer,) = scene.answers()
    assert answer["state"] == "rejected"
    assert "no train was cut from commit ffffffffffff" in answer["comment"]


def test_github_down_is_retried_then_rejected_at_the_deadline_never_approved(
    scene: Scene, hooks: TestClient
) -> None:
    scene.to_prod()
    scene.service.verify(scene.train, "prod")
    scene.service.approve(scene.train, "prod", "alice", "prod gates are green")
    scene.service.approve(scene.train, "prod", "bob", "looks good to me too")
    scene.rig.clock.advance(minutes=11)
    down = scene.github.fail("status", method="POST", path="deployment_protection_rule",
                             status=503, times=1000)  # fmt: skip
    deliver(hooks, "deployment_protection_rule", scene.request(), "d-4")
    scene.runner.run_due()
    assert "approved, not delivered" in scene.outcome("d-4")
    for _ in range(3):
        scene.later(seconds=11)
    tried = 1000 - down.times
    assert tried >= 4  # asked again each time, never given up before the deadline
    scene.rig.clock.advance(hours=6)
    down.times = 0  # GitHub is back after the deadline
    scene.later(seconds=11)
    (answer,) = scene.answers()
    assert answer["state"] == "rejected"
    assert "deadline" in answer["comment"]


def test_a_redelivered_protection_rule_answers_once(scene: Scene, hooks: TestClient) -> None:
    scene.to_prod()
    scene.rig.verifier.verdicts["error-rate"] = "fail"
    scene.service.verify(scene.train, "prod")
    payload = scene.request()
    deliver(hooks, "deployment_protection_rule", payload, "d-5")
    scene.runner.run_due()
    assert deliver(hooks, "deployment_protection_rule", payload, "d-5").status_code == 200
    scene.later(minutes=1)
    assert len(scene.answers()) == 1


def test_payload_for_another_repository_is_not_answered(scene: Scene, hooks: TestClient) -> None:
    payload = scene.request()
    payload["deployment_callback_url"] = (
        f"https://evil.example/repos/other/repo/actions/runs/{RUN_ID}/deployment_protection_rule"
    )
    deliver(hooks, "deployment_protection_rule", payload, "d-6")
    scene.runner.run_due()
    assert scene.answers() == []
    assert scene.outcome("d-6").startswith("ignored: no environment, deployment commit or run")


def test_an_answer_github_refuses_is_a_visible_failure_not_a_retry_loop(
    scene: Scene, hooks: TestClient
) -> None:
    from trainmaster.jobs.model import JobStatus
    from trainmaster.store.jobs import get as get_job

    scene.to_prod()
    scene.rig.verifier.verdicts["error-rate"] = "fail"
    scene.service.verify(scene.train, "prod")
    scene.github.state.waiting_runs.clear()  # the run was cancelled meanwhile: GitHub says 422
    deliver(hooks, "deployment_protection_rule", scene.request(), "d-7")
    scene.runner.run_due()
    assert scene.answers() == []
    assert scene.outcome("d-7").startswith("failed: ")
    with scene.store.transaction() as session:
        job = get_job(session, "github.webhook@d-7")
        delivery = deliveries.get(session, "d-7")
    assert job is not None and job.status is JobStatus.DEAD and job.attempts == 1
    assert delivery is not None and delivery.processed_at is None and delivery.attempts == 1

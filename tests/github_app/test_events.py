"""Pull requests drive previews (against the Kubernetes emulator), completed checks are kept for
their commit, and `trainmaster app deliveries` shows what came in and what became of it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.emulators.kubernetes.fixtures import Cluster, k8s  # noqa: F401
from tests.github_app.conftest import REPO, client_for, deliver, example, make_policy
from tests.train.fakes import Clock
from trainmaster.adapters.kubernetes.rollouts import ArgoRolloutsCluster
from trainmaster.audit import AuditLog
from trainmaster.github_app.events import ci_checks
from trainmaster.jobs.handlers import Work, handlers
from trainmaster.jobs.runner import Runner
from trainmaster.store import Store, deliveries
from trainmaster.wiring import App


class Hub:
    def __init__(self, store: Store, tmp_path: Path, cluster: Cluster, clock: Clock) -> None:
        self.store, self.clock = store, clock
        self.policy = make_policy(tmp_path, kubeconfig=str(cluster.kubeconfig))
        self.cluster = ArgoRolloutsCluster.from_policy(self.policy, tmp_path)
        self.base = tmp_path
        self.runner = Runner(store, handlers(Work(self.app)), clock=clock)

    def app(self) -> App:
        return App(self.policy, self.base, store=self.store, clock=self.clock,
                   cluster=self.cluster)  # fmt: skip

    def previews(self) -> set[str]:
        return {env.namespace for env in self.cluster.previews()}

    def outcomes(self) -> dict[str, str]:
        with self.store.transaction() as session:
            return {d.delivery: d.outcome for d in deliveries.listing(session)}


@pytest.fixture
def hub(store: Store, tmp_path: Path, k8s: Cluster, clock: Clock) -> Hub:  # noqa: F811
    return Hub(store, tmp_path, k8s, clock)


@pytest.fixture
def hooks(hub: Hub, webhook_env: None) -> Iterator[TestClient]:
    yield from client_for(hub.app(), hub.clock)


def pull(action: str, number: int, updated_at: str) -> dict[str, Any]:
    payload = example("pull_request", action)
    payload["number"] = number
    payload["pull_request"].update(number=number, updated_at=updated_at)
    return payload


def test_opened_brings_a_preview_up_and_closed_takes_it_down(hub: Hub, hooks: TestClient) -> None:
    deliver(hooks, "pull_request", pull("opened", 12, "2026-11-05T10:00:00Z"), "o-12")
    hub.runner.run_due()
    assert hub.previews() == {"pr-12"}
    assert hub.outcomes()["o-12"] == "preview up: pr-12 (created)"
    deliver(hooks, "pull_request", pull("closed", 12, "2026-11-05T11:00:00Z"), "c-12")
    hub.runner.run_due()
    assert hub.previews() == set()
    assert hub.outcomes()["c-12"] == "preview down: pr-12 (deleted)"
    actions = [e.action for e in AuditLog(hub.store).events()]
    assert actions == ["preview.up", "preview.down"]


def test_closed_received_before_opened_leaves_no_preview(hub: Hub, hooks: TestClient) -> None:
    deliver(hooks, "pull_request", pull("closed", 7, "2026-11-05T11:00:00Z"), "c-7")
    hub.runner.run_due()
    deliver(hooks, "pull_request", pull("opened", 7, "2026-11-05T10:00:00Z"), "o-7")
    hub.runner.run_due()
    assert hub.previews() == set()
    assert hub.outcomes()["o-7"] == "superseded by c-7 (pull_request.closed)"


def test_both_queued_then_processed_in_any_order_leave_no_preview(
    hub: Hub, hooks: TestClient
) -> None:
    deliver(hooks, "pull_request", pull("opened", 8, "2026-11-05T10:00:00Z"), "o-8")
    deliver(hooks, "pull_request", pull("closed", 8, "2026-11-05T11:00:00Z"), "c-8")
    hub.runner.run_due()
    assert hub.previews() == set()


def test_a_redelivered_opened_changes_nothing(hub: Hub, hooks: TestClient) -> None:
    payload = pull("opened", 9, "2026-11-05T10:00:00Z")
    deliver(hooks, "pull_request", payload, "o-9")
    hub.runner.run_due()
    deliver(hooks, "pull_request", payload, "o-9")
    hub.runner.run_due()
    assert [e.action for e in AuditLog(hub.store).events()] == ["preview.up"]
    assert hub.previews() == {"pr-9"}


def test_without_a_preview_stage_pull_requests_are_ignored(
    store: Store, tmp_path: Path, clock: Clock, webhook_env: None
) -> None:
    policy = make_policy(tmp_path)
    policy = policy.model_copy(update={"stages": {k: v for k, v in policy.stages.items()
                                                  if k != "preview"}})  # fmt: skip
    app = App(policy, tmp_path, store=store, clock=clock)
    for client in client_for(app, clock):
        deliver(client, "pull_request", pull("opened", 3, "2026-11-05T10:00:00Z"), "o-3")
    Runner(store, handlers(Work(lambda: App(policy, tmp_path, store=store, clock=clock))),
           clock=clock).run_due()  # fmt: skip
    with store.transaction() as session:
        found = deliveries.get(session, "o-3")
    assert found is not None and found.outcome == "ignored: the policy has no preview stage"


@pytest.mark.parametrize("event", ["check_suite", "check_run", "workflow_run"])
def test_completed_checks_are_kept_for_their_commit(
    hub: Hub, hooks: TestClient, event: str
) -> None:
    payload = example(event, "completed")
    sha = payload[event]["head_sha"]
    deliver(hooks, event, payload, f"{event}-1")
    hub.runner.run_due()
    found = ci_checks(hub.app(), REPO, sha)
    assert list(found.values()) == [payload[event]["conclusion"]]
    assert ci_checks(hub.app(), REPO, "0" * 40) == {}


def test_the_deliveries_command_lists_them(
    hub: Hub, hooks: TestClient, tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from trainmaster.cli.app import app, register_commands
    from trainmaster.config.seed import seed_policy_text

    deliver(hooks, "pull_request", pull("opened", 12, "2026-11-05T10:00:00Z"), "o-12")
    hub.runner.run_due()
    text = seed_policy_text("acme", "maestro").replace("sqlite:///.trainmaster/state.db",
                                                       store_url)  # fmt: skip
    (tmp_path / "trainmaster.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    register_commands(None)
    result = CliRunner().invoke(app, ["app", "deliveries", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["delivery"] == "o-12" and row["event"] == "pull_request"
    assert row["action"] == "opened" and row["outcome"] == "preview up: pr-12 (created)"
    assert row["processed"] is not None and row["received"]
    table = CliRunner().invoke(app, ["app", "deliveries"], env={"COLUMNS": "250"})
    assert table.exit_code == 0, table.output
    assert "o-12" in table.stdout and "preview up: pr-12 (created)" in table.stdout


def test_a_push_to_the_default_branch_refreshes_the_next_train(
    store: Store, tmp_path: Path, clock: Clock, webhook_env: None
) -> None:
    import subprocess

    from tests.train.conftest import COMMITS
    from tests.train.fakes import make_repo

    repo = make_repo(tmp_path / "repo", COMMITS)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip
    policy = make_policy(tmp_path)

    def app() -> App:
        return App(policy, repo, repo_path=repo, store=store, clock=clock)

    for client in client_for(app(), clock):
        payload = example("push")
        default = payload["repository"]["default_branch"]
        deliver(client, "push", {**payload, "ref": f"refs/heads/{default}", "after": head}, "p-1")
        deliver(client, "push", {**payload, "ref": "refs/heads/topic", "after": head}, "p-2")
        deliver(client, "push", {**payload, "ref": f"refs/heads/{default}", "after": "e" * 40},
                "p-3")  # fmt: skip
    Runner(store, handlers(Work(app)), clock=clock).run_due()
    with store.transaction() as session:
        outcomes = {d.delivery: d.outcome for d in deliveries.listing(session)}
    assert outcomes["p-1"].startswith("next train: ")
    assert f"({len(COMMITS)} commits)" in outcomes["p-1"] and "work tree" not in outcomes["p-1"]
    assert outcomes["p-2"] == "ignored: push to refs/heads/topic, not the default branch"
    assert outcomes["p-3"].endswith(f"the work tree is at {head[:12]}, GitHub at eeeeeeeeeeee")

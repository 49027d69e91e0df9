"""The train's use cases without Typer: the same result, refusal and audit events as the CLI.

Two identical projects (same commits, same policy, a fake cluster each): every step is taken
through the CLI in one and through the use case in the other, and their results and the audit
events each step appended must be equal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.policy.conftest import seed_text
from tests.train.fakes import DIGEST_A, DIGEST_OLD, FakeCluster, FakeVerifier, make_repo
from trainmaster.audit import AuditLog
from trainmaster.config import load_policy
from trainmaster.errors import RefusalReason, Refused
from trainmaster.train import use_cases as uc
from trainmaster.wiring import App

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
WHY = "smoke and load look fine"


class Twins:
    """The CLI's project (tmp_path) and the use cases' twin, driven step by step."""

    def __init__(self, cli: Callable[..., Any], root: Path, twin: Path) -> None:
        self.cli, self.root, self.twin = cli, root, twin
        self.app = App(load_policy(twin / "trainmaster.yaml"), twin)

    def events(self, base: Path) -> list[tuple[Any, ...]]:
        with App(load_policy(base / "trainmaster.yaml"), base) as app:
            return [
                (e.actor, e.action, e.target, e.reason, e.payload)
                for e in AuditLog(app.store).events()
            ]

    def step(self, args: list[str], call: Callable[[App], Any]) -> tuple[Any, Any]:
        """Take one step both ways; return (CLI JSON, use-case result) after checking that
        both appended the same audit events."""
        cli_before, twin_before = len(self.events(self.root)), len(self.events(self.twin))
        ran = self.cli("--json", *args)
        assert ran.code == 0, ran.err
        result = call(self.app)
        assert self.events(self.root)[cli_before:] == self.events(self.twin)[twin_before:]
        return json.loads(ran.out), result


@pytest.fixture
def twins(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Twins]:  # type: ignore[no-untyped-def]
    # Fixed commit dates: both repositories get the same commit ids.
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-11-02T10:00:00Z")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2026-11-02T10:00:00Z")
    twin = tmp_path / "twin"
    for base in (tmp_path, twin):
        make_repo(base, ["feat(api): orders (#12)", "fix: carts (#13)"])
        (base / "trainmaster.yaml").write_text(seed_text(captains=["captain", "alice", "bob"]))
        (base / ".gitignore").write_text(".trainmaster/\ntrainmaster.yaml\n.gitignore\ntwin/\n")
    clusters = {tmp_path.resolve(): FakeCluster(), twin.resolve(): FakeCluster()}
    from trainmaster.rollout import backends

    monkeypatch.setattr(
        backends, "cluster_for", lambda policy, base_dir=None, shared=False: clusters[base_dir]
    )
    monkeypatch.setattr(App, "verifier", lambda self, url=None: FakeVerifier(GATES))
    made = Twins(cli, tmp_path, twin)
    yield made
    made.app.close()


def test_every_train_use_case_matches_the_cli(twins: Twins) -> None:
    as_captain = ["--actor", "captain"]
    cli_cut, cut = twins.step(
        ["train", "cut", *as_captain], lambda app: uc.cut(app, uc.CutInput("captain"))
    )
    assert {**cli_cut, "notes": ""} == {**cut.as_json(), "notes": ""}
    assert cut.train == "v1.1.0" and not cut.dry_run

    steps: list[tuple[list[str], Callable[[App], uc.TrainResult]]] = [
        (
            ["train", "artifact", "v1.1.0", DIGEST_A, *as_captain],
            lambda app: uc.artifact(app, uc.ArtifactInput("captain", "v1.1.0", DIGEST_A)),
        ),
        (
            ["train", "deploy", "v1.1.0", "--env", "stage", *as_captain],
            lambda app: uc.deploy(app, uc.DeployInput("captain", "v1.1.0", "stage")),
        ),
        (
            ["train", "verify", "v1.1.0", "--env", "stage", *as_captain],
            lambda app: uc.verify(app, uc.VerifyInput("captain", "v1.1.0", "stage")),
        ),
        (
            ["approve", "v1.1.0", "--env", "stage", "--reason", WHY, "--actor", "alice"],
            lambda app: uc.approve(app, uc.ApproveInput("alice", "v1.1.0", "stage", WHY)),
        ),
        (
            ["promote", "v1.1.0", "--env", "stage", "--reason", "green", "--actor", "bob"],
            lambda app: uc.promote(app, uc.PromoteInput("bob", "v1.1.0", "stage", "green")),
        ),
        (
            # nothing served stage before this first train: no known-good digest, so --to
            [
                "rollback",
                "--env",
                "stage",
                "--reason",
                "p95 regression",
                "--to",
                DIGEST_OLD,
                *as_captain,
            ],
            lambda app: uc.rollback(
                app, uc.RollbackInput("captain", "stage", "p95 regression", to_digest=DIGEST_OLD)
            ),
        ),
        (
            ["train", "abort", "v1.1.0", "--reason", "superseded", *as_captain],
            lambda app: uc.abort(app, uc.AbortInput("captain", "v1.1.0", "superseded")),
        ),
    ]
    seen = []
    for args, call in steps:
        from_cli, result = twins.step(args, call)
        assert from_cli == result.as_json()
        seen.append((result.status.value, result.state.stage("stage").status.value))
    assert seen == [
        ("open", "pending"),
        ("open", "verifying"),
        ("open", "awaiting_approval"),
        ("open", "awaiting_approval"),
        ("open", "promoted"),
        ("open", "rolled_back"),  # only prod's rollback rolls the train back
        ("aborted", "aborted"),
    ]


def test_a_refusal_by_the_policy_carries_its_reasons_and_is_audited_like_the_clis(
    twins: Twins,
) -> None:
    twins.step(["train", "cut", "--actor", "captain"], lambda a: uc.cut(a, uc.CutInput("captain")))
    ran = twins.cli("rollback", "--env", "stage", "--reason", "p95 regression", "--actor", "eve")
    with pytest.raises(Refused) as refused:
        uc.rollback(twins.app, uc.RollbackInput("eve", "stage", "p95 regression"))
    assert ran.code == 5 == refused.value.exit_code
    assert refused.value.message in ran.err
    assert refused.value.reasons == (
        RefusalReason(
            "authz",
            "not a member of a role that may rollback (Deployment Engineer, DevOps/Platform, "
            "Release Captain)",
        ),
    )
    assert twins.events(twins.root)[-1] == twins.events(twins.twin)[-1]
    assert twins.events(twins.twin)[-1][:2] == ("eve", "authz.refused")


def test_a_refusal_by_the_train_names_each_unmet_rule(twins: Twins) -> None:
    twins.step(["train", "cut", "--actor", "captain"], lambda a: uc.cut(a, uc.CutInput("captain")))
    uc.artifact(twins.app, uc.ArtifactInput("captain", "v1.1.0", DIGEST_A))
    uc.deploy(twins.app, uc.DeployInput("captain", "v1.1.0", "stage"))
    with pytest.raises(Refused) as refused:
        uc.promote(twins.app, uc.PromoteInput("captain", "v1.1.0", "stage", "green"))
    assert [r.rule for r in refused.value.reasons] == ["promotion.gates", "promotion.quorum"]
    assert all(r.message in refused.value.message for r in refused.value.reasons)


def test_dry_runs_ask_no_one_and_change_nothing(twins: Twins) -> None:
    """eve may not cut, yet her dry run shows the plan: nothing changes, nothing is asked."""
    result = uc.cut(twins.app, uc.CutInput("eve", dry_run=True))
    assert result.dry_run and result.train == "v1.1.0"
    assert twins.events(twins.twin) == []
    with pytest.raises(Refused):
        uc.cut(twins.app, uc.CutInput("eve"))


def test_open_steps_are_asked_and_a_policy_module_can_refuse_them(
    twins: Twins, tmp_path: Path
) -> None:
    rego = tmp_path / "twin" / "no_friday.rego"
    rego.write_text(
        "package trainmaster.authz\n\nimport rego.v1\n\n"
        'deny contains "deploys are for the captain" if {\n'
        '\tinput.action == "train.deploy"\n\tinput.actor != "captain"\n}\n'
    )
    policy = (tmp_path / "twin" / "trainmaster.yaml").read_text()
    (tmp_path / "twin" / "trainmaster.yaml").write_text(
        policy + "\nauthorization:\n  modules: [no_friday.rego]\n"
    )
    app = App(load_policy(tmp_path / "twin" / "trainmaster.yaml"), tmp_path / "twin")
    uc.cut(app, uc.CutInput("captain"))
    uc.artifact(app, uc.ArtifactInput("zoe", "v1.1.0", DIGEST_A))  # open: no role lists it
    with pytest.raises(Refused) as refused:
        uc.deploy(app, uc.DeployInput("zoe", "v1.1.0", "stage"))
    assert refused.value.reasons == (RefusalReason("authz", "deploys are for the captain"),)
    assert uc.deploy(app, uc.DeployInput("captain", "v1.1.0", "stage")).stage("stage").value
    app.close()


def test_a_verification_names_each_gates_verdict_as_an_enum(twins: Twins) -> None:
    from trainmaster.gates.verdict import Verdict

    uc.cut(twins.app, uc.CutInput("captain"))
    uc.artifact(twins.app, uc.ArtifactInput("captain", "v1.1.0", DIGEST_A))
    uc.deploy(twins.app, uc.DeployInput("captain", "v1.1.0", "stage"))
    result = uc.verify(twins.app, uc.VerifyInput("captain", "v1.1.0", "stage"))
    assert dict(result.verdicts) == {gate: Verdict.PASS for gate in GATES["stage"]}
    assert not result.failed and not result.inconclusive
    result.raise_for_verdict()  # passes: nothing to raise


def test_a_library_user_opens_the_app_from_the_policy_file(twins: Twins) -> None:
    with App.from_policy_file(twins.twin / "trainmaster.yaml", repo_path=twins.twin) as app:
        assert uc.train_list(app) == ()
        planned = uc.cut(app, uc.CutInput("captain", dry_run=True))
    assert planned.train == "v1.1.0" and app.base_dir == twins.twin.resolve()


def test_the_train_list_is_typed_and_the_cli_prints_its_json(twins: Twins) -> None:
    from trainmaster.train.model import TrainStatus

    twins.step(["train", "cut", "--actor", "captain"], lambda a: uc.cut(a, uc.CutInput("captain")))
    [summary] = uc.train_list(twins.app)
    assert (summary.train, summary.status, summary.author) == (
        "v1.1.0",
        TrainStatus.OPEN,
        "captain",
    )
    listed = json.loads(twins.cli("train", "list", "--json").out)
    assert [{**r, "created_at": ""} for r in listed] == [{**summary.as_json(), "created_at": ""}]

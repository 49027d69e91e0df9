"""The train through the CLI: exit codes, --json, --dry-run, and nothing changed on refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.train.fakes import (
    DIGEST_OLD,
    FakeCluster,
    FakeVerifier,
    commit,
    git,
    make_repo,
)
from trainmaster.config.seed import seed_policy_text


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCluster:
    make_repo(tmp_path, ["feat(api): orders (#12)", "fix: carts (#13)"])
    text = seed_policy_text("acme", "maestro").replace("forge: github", "forge: none")
    (tmp_path / "trainmaster.yaml").write_text(text)
    (tmp_path / ".gitignore").write_text(".trainmaster/\ntrainmaster.yaml\n.gitignore\n")
    cluster = FakeCluster()
    from trainmaster.rollout import backends
    from trainmaster.wiring import App

    monkeypatch.setattr(
        backends, "cluster_for", lambda policy, base_dir=None, shared=False: cluster
    )
    gates = {
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
    monkeypatch.setattr(App, "verifier", lambda self, url=None: FakeVerifier(gates))
    return cluster


def test_schedule_json(cli, project) -> None:  # type: ignore[no-untyped-def]
    result = cli("train", "schedule", "--next", "3", "--from", "2026-12-10T00:00:00Z", "--json")
    assert result.code == 0, result.err
    cuts = json.loads(result.out)["cuts"]
    assert [(c["at"][:16], c["status"]) for c in cuts] == [
        ("2026-12-10T18:00", "cut"),
        ("2026-12-17T18:00", "cut"),
        ("2026-12-24T18:00", "frozen"),
    ]
    assert cuts[2]["reason"] == "year-end: Year-end change freeze"


def test_preview_changes_nothing(cli, project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    refs = git(tmp_path, "show-ref")
    result = cli("--json", "train", "preview", "--at", "2026-11-05T18:00:00Z")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["version"], data["tag"], len(data["commits"])) == ("1.1.0", "v1.1.0", 2)
    assert [s["stage"] for s in data["stages"]] == ["stage", "prod"]
    assert data["stages"][1]["approvals"] == 2
    assert "orders" in data["notes"]
    assert git(tmp_path, "show-ref") == refs
    assert not (tmp_path / ".trainmaster").exists()


def test_cut_refusals_exit_2(cli, project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "f0.txt").write_text("dirty\n")
    result = cli("train", "cut")
    assert result.code == 2
    assert (
        result.err.strip()
        == "error: the working tree has uncommitted changes; commit or stash them first"
    )
    git(tmp_path, "checkout", "--", "f0.txt")
    assert cli("train", "cut", "--dry-run").code == 0
    assert "v1.1.0" not in git(tmp_path, "tag")


def test_a_train_through_the_cli(cli, project: FakeCluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project.pin(
        __import__("trainmaster.rollout.port", fromlist=["Target"]).Target(
            "prod", "maestro", "maestro"
        ),
        DIGEST_OLD,
    )
    assert cli("--actor", "captain", "train", "cut").code == 0
    assert cli("train", "artifact", "v1.1.0", "sha256:" + "a" * 64).code == 0
    assert cli("train", "deploy", "v1.1.0", "--env", "stage").code == 0
    assert cli("train", "verify", "v1.1.0", "--env", "stage").code == 0
    refused = cli("--actor", "captain", "approve", "v1.1.0", "--env", "stage", "--reason", "mine")
    assert refused.code == 5 and "may not approve" in refused.err
    assert (
        cli(
            "--actor", "alice", "approve", "v1.1.0", "--env", "stage", "--reason", "dashboards ok"
        ).code
        == 0
    )
    assert (
        cli("--actor", "bob", "promote", "v1.1.0", "--env", "stage", "--reason", "gates green").code
        == 0
    )
    assert cli("train", "deploy", "v1.1.0", "--env", "prod").code == 0
    assert cli("train", "verify", "v1.1.0", "--env", "prod").code == 0
    assert (
        cli(
            "--actor", "alice", "approve", "v1.1.0", "--env", "prod", "--reason", "dashboards ok"
        ).code
        == 0
    )
    early = cli("--actor", "bob", "promote", "v1.1.0", "--env", "prod", "--reason", "gates green")
    assert early.code == 5
    assert (
        "1 of 2 distinct approvals" in early.err
        and "wait timer" not in early.err.split("approvals")[0]
    )
    assert (
        cli(
            "--actor", "carol", "approve", "v1.1.0", "--env", "prod", "--reason", "dashboards ok"
        ).code
        == 0
    )
    plan = cli(
        "--json",
        "--actor",
        "bob",
        "promote",
        "v1.1.0",
        "--env",
        "prod",
        "--reason",
        "go",
        "--dry-run",
    )
    assert plan.code == 5 and "approvals" not in plan.err and "wait timer" in plan.err
    status = json.loads(cli("train", "status", "v1.1.0", "--json").out)
    assert status["stages"][1]["counted"] == 2
    assert status["stages"][0]["status"] == "promoted"
    listed = json.loads(cli("--json", "train", "list").out)
    assert [t["train"] for t in listed] == ["v1.1.0"]
    calls = list(project.calls)
    back = cli("--actor", "dave", "rollback", "--env", "stage", "--reason", "drill")
    # nothing served stage before this first train: there is no known-good digest to go to
    assert back.code == 2 and "no known-good digest for stage" in back.err
    assert project.calls == calls
    assert cli("audit", "verify").code == 0


def test_notes_formats(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_repo(tmp_path, [])
    commit(tmp_path, "feat(api)!: new auth (#7)\n\nBREAKING CHANGE: tokens expire after 1h")
    commit(tmp_path, "fix: <escape> & slack (#8)")
    md = cli("notes")
    assert md.code == 0, md.err
    assert "### Breaking changes" in md.out and "tokens expire after 1h" in md.out
    data = json.loads(cli("notes", "v1.0.0..HEAD", "--format", "json").out)
    assert [s["key"] for s in data["sections"]] == ["breaking", "feat", "fix"]
    slack = cli("notes", "--format", "slack").out
    assert "&lt;escape&gt; &amp; slack" in slack
    bad = cli("notes", "--format", "pdf")
    assert bad.code == 2 and "md, json, slack" in bad.err
    announce = cli("announce")
    assert "Change announcement: 2.0.0" in announce.out  # the version about to be cut
    assert "**Risk & rollback:** risk high" in announce.out
    assert cli("notes", "nope..HEAD").code == 2

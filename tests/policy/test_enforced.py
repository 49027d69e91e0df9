"""Every risky command asks the authorizer before any effect: refused, it exits 5 and the
cluster, git and GitHub are untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.emulators.github.fixtures import GitHubEmulator
from trainmaster.policy.model import AccessRequest, Decision

DIGEST = "ghcr.io/acme/maestro@sha256:" + "b" * 64
WHY = ("--reason", "incident 42: p95 over 1.5 s")


class Refuser:
    """Refuses one action; records every request."""

    def __init__(self, refuse: str) -> None:
        self.refuse, self.seen = refuse, []  # type: ignore[var-annotated]

    def decide(self, request: AccessRequest) -> Decision:
        self.seen.append(request)
        return Decision(request, ("test says no",) if request.action == self.refuse else ())


@pytest.fixture
def refuse(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from trainmaster.policy import wiring

    def install(action: str) -> Refuser:
        refuser = Refuser(action)
        monkeypatch.setattr(wiring, "authorizer_for", lambda policy, base_dir: refuser)
        return refuser

    return install


COMMANDS = {
    "train": [
        ("train.cut", None, ["train", "cut"]),
        ("train.hotfix", None, ["train", "hotfix", "--from", "v1.0.0", "--pick", "HEAD", *WHY]),
        ("train.abort", None, ["train", "abort", "v1.1.0", *WHY]),
        ("approve", "prod", ["approve", "v1.1.0", "--env", "prod", *WHY]),
        ("promote", "prod", ["promote", "v1.1.0", "--env", "prod", *WHY]),
        ("rollback", "prod", ["rollback", "--env", "prod", *WHY]),
    ],
    "rollout": [
        ("rollout.deploy", "prod", ["rollout", "deploy", DIGEST, "--ns", "maestro", *WHY]),
        ("rollout.pin", "prod", ["rollout", "pin", DIGEST, "--ns", "maestro", *WHY]),
        ("rollout.promote", "prod", ["rollout", "promote", "--ns", "maestro", *WHY]),
        ("rollout.abort", "prod", ["rollout", "abort", "--ns", "maestro", *WHY]),
        ("rollout.undo", "prod", ["rollout", "undo", "--ns", "maestro", *WHY]),
    ],
    "preview": [
        ("preview.up", None, ["preview", "up", "--pr", "7", *WHY]),
        ("preview.down", None, ["preview", "down", "--pr", "7", *WHY]),
        ("preview.sweep", None, ["preview", "sweep", *WHY]),
    ],
    "evidence": [
        ("evidence.build", None, ["evidence", "build", "v1.1.0"]),
        ("evidence.publish", None, ["evidence", "build", "v1.1.0", "--publish"]),
    ],
    "gate": [("rollback", "prod", ["gate", "watch", "--env", "prod", "--for", "1s"])],
}


@pytest.mark.parametrize("family", sorted(COMMANDS))
def test_each_command_asks_before_any_effect(
    cli, project, refuse, tmp_path: Path, family: str
) -> None:  # type: ignore[no-untyped-def]
    for action, stage, args in COMMANDS[family]:
        refuser = refuse(action)
        result = cli("--actor", "zoe", *args)
        assert result.code == 5, (args, result.err)
        assert "test says no" in result.err, args
        asked = refuser.seen[-1]
        assert (asked.actor, asked.action, asked.stage) == ("zoe", action, stage), args
        assert project.calls == [], args
    assert not (tmp_path / "evidence").exists()


def test_dry_runs_are_not_asked(cli, project, refuse) -> None:  # type: ignore[no-untyped-def]
    refuser = refuse("preview.down")
    assert cli("preview", "down", "--pr", "7", "--dry-run").code == 0
    assert refuser.seen == []


def test_approval_requests_carry_the_trains_author(cli, project, refuse) -> None:  # type: ignore[no-untyped-def]
    assert cli("--actor", "carl", "train", "cut").code == 0
    refuser = refuse("approve")
    assert cli("--actor", "dana", "approve", "v1.1.0", "--env", "stage", *WHY).code == 5
    attributes = dict(refuser.seen[-1].attributes)
    assert attributes == {"train": "v1.1.0", "author": "carl", "kind": "scheduled"}


@pytest.mark.slow
def test_governance_apply_asks_before_the_first_write(  # type: ignore[no-untyped-def]
    cli, refuse, github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    from tests.governance.conftest import populate, seed_for

    populate(github_emulator, ["acme/api"])
    policy = tmp_path / "trainmaster.yaml"
    policy.write_text(seed_for(github_emulator.url, ["acme/api"], tmp_path), encoding="utf-8")
    refuser = refuse("governance.apply")
    result = cli("--policy", str(policy), "--actor", "zoe", "apply", "--yes", *WHY)
    assert result.code == 5, result.err
    assert refuser.seen[-1].target == "github:acme/api"
    assert github_emulator.writes() == []

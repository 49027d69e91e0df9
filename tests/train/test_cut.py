"""Cutting and the hotfix lane on real git repositories and both stores."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.train.conftest import Rig
from tests.train.fakes import DIGEST_A, commit, git
from trainmaster.audit import AuditLog
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import ExitCode, TrainmasterError, UsageError
from trainmaster.store.models import TrainEffectRow, TrainRow


def counts(rig: Rig) -> tuple[int, int, int, str]:
    with rig.store.transaction() as s:
        trains = s.execute(select(func.count()).select_from(TrainRow)).scalar_one()
        effects = s.execute(select(func.count()).select_from(TrainEffectRow)).scalar_one()
    return trains, effects, len(list(AuditLog(rig.store).events())), git(rig.repo, "show-ref")


def refused(rig: Rig, match: str, **kw: object) -> None:
    before = counts(rig)
    with pytest.raises(TrainmasterError, match=match) as caught:
        rig.service().cut(**kw)  # type: ignore[arg-type]
    assert caught.value.exit_code == ExitCode.USAGE
    assert counts(rig) == before  # nothing changed: no train, no effect, no audit, no ref


def test_refuses_a_dirty_tree(rig: Rig) -> None:
    (rig.repo / "f0.txt").write_text("edited\n")
    refused(rig, "uncommitted changes")


def test_untracked_files_do_not_block_a_cut(rig: Rig) -> None:
    (rig.repo / "scratch.log").write_text("x")
    assert rig.service().cut().tag == "v1.1.0"


def test_refuses_when_nothing_is_new(rig: Rig) -> None:
    rig.service().cut()
    refused(rig, "no new commits since v1.1.0")


def test_refuses_an_existing_tag_or_branch(rig: Rig) -> None:
    # someone tagged v1.1.0 on a side branch: not a release of main, but the name is taken
    git(rig.repo, "switch", "-q", "-c", "side", "v1.0.0")
    commit(rig.repo, "fix: elsewhere", file="side.txt")
    git(rig.repo, "tag", "-a", "v1.1.0", "-m", "side release")
    git(rig.repo, "switch", "-q", "main")
    refused(rig, "tag v1.1.0 already exists")
    git(rig.repo, "tag", "-d", "v1.1.0")
    git(rig.repo, "branch", "release/1.1.0", "side")
    refused(rig, "branch release/1.1.0 already exists")


def test_refuses_inside_a_freeze_without_a_reason(rig: Rig) -> None:
    rig.clock.at = datetime(2026, 12, 24, 18, 0, tzinfo=UTC)
    refused(rig, "inside the freeze window year-end: Year-end change freeze")
    plan = rig.service().cut(override_reason="security fix the CISO signed off")
    assert plan.freeze == "year-end: Year-end change freeze"
    cut_event = next(AuditLog(rig.store).events(action="train.cut"))
    assert cut_event.reason == "security fix the CISO signed off"


def test_dry_run_changes_nothing(rig: Rig) -> None:
    before = counts(rig)
    plan = rig.service().cut(dry_run=True)
    assert [e.kind for e in plan.effects] == ["git.branch", "git.tag", "forge.release"]
    assert "no origin remote" in plan.skipped[0]
    assert counts(rig) == before
    assert rig.forge.calls == []


def test_version_bumps(rig: Rig) -> None:
    commit(rig.repo, "refactor!: drop the v1 API\n\nBREAKING CHANGE: clients must move to /v2")
    assert rig.service().cut(dry_run=True).version == "2.0.0"


def test_patch_only_and_first_release(tmp_path: Path, store) -> None:  # type: ignore[no-untyped-def]
    from tests.train.fakes import make_repo

    repo = make_repo(tmp_path / "fresh", ["fix: a", "docs: b"], tag=None)
    rig = Rig(parse_policy(seed_policy_text("acme", "maestro")), store, repo)
    assert rig.service().cut(dry_run=True).version == "0.1.0"  # versioning.initial
    rig2 = Rig(rig.policy, store, make_repo(tmp_path / "patch", ["fix: a", "docs: b"]))
    assert rig2.service().cut(dry_run=True).version == "1.0.1"


def test_calver(tmp_path: Path, store) -> None:  # type: ignore[no-untyped-def]
    from tests.train.fakes import make_repo

    text = seed_policy_text("acme", "maestro").replace("scheme: semver ", "scheme: calver ")
    policy = parse_policy(text)
    repo = make_repo(tmp_path / "cal", ["feat: x"], tag="v2026.11.0")
    rig = Rig(policy, store, repo)
    assert rig.service().cut().version == "2026.11.1"


def test_forge_none_skips_the_release_draft(rig: Rig) -> None:
    policy = parse_policy(
        seed_policy_text("acme", "maestro").replace("forge: github", "forge: none")
    )
    rig.policy = policy
    plan = rig.service().cut()
    assert "forge: backends.forge is none" in " ".join(plan.skipped)
    assert rig.forge.calls == []
    assert rig.service().status(plan.train_id)["status"] == "open"


def test_pushes_branch_and_tag_to_origin(rig: Rig, tmp_path: Path) -> None:
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(rig.repo, "remote", "add", "origin", str(remote))
    rig.service().cut()
    refs = git(remote, "show-ref")
    assert "refs/tags/v1.1.0" in refs and "refs/heads/release/1.1.0" in refs


def test_hotfix_beside_an_open_weekly_train(rig: Rig) -> None:
    weekly = rig.service().cut()
    rig.service().record_artifact(weekly.train_id, DIGEST_A)
    fix = commit(rig.repo, "fix(payments): stop double charges (#99)", file="pay.txt")
    plan = rig.service("oncall").hotfix("v1.0.0", [fix[:10]], reason="sev1 double charges")
    assert (plan.version, plan.branch, plan.kind) == ("1.0.1", "hotfix/1.0.1", "hotfix")
    # the hotfix branch is the released tag plus exactly the picked commit
    log = git(rig.repo, "log", "--format=%s", "v1.0.0..hotfix/1.0.1")
    assert log == "fix(payments): stop double charges (#99)"
    assert f"(cherry picked from commit {fix})" in git(
        rig.repo, "log", "-1", "--format=%B", "v1.0.1"
    )
    assert rig.forge.pulls == [("hotfix/1.0.1", "main", "Back-merge hotfix v1.0.1 into main")]
    assert "stop double charges" in rig.forge.bodies["v1.0.1"]
    # the weekly train is untouched
    status = rig.service().status(weekly.train_id)
    assert (status["status"], status["digest"]) == ("open", DIGEST_A)
    hot = rig.service().status("v1.0.1")
    assert hot["kind"] == "hotfix"
    assert hot["stages"][1]["required_gates"] == ["error-rate", "migrations"]
    assert hot["stages"][1]["quorum"] == 1


def test_hotfix_refusals_change_nothing(rig: Rig) -> None:
    service = rig.service()
    with pytest.raises(UsageError, match="not a release tag"):
        service.hotfix("nope", ["HEAD"])
    with pytest.raises(UsageError, match="no such commit deadbeef"):
        service.hotfix("v1.0.0", ["deadbeef"])
    conflicting = commit(rig.repo, "fix: rewrite f0", file="f0.txt")
    commit(rig.repo, "fix: rewrite f0 again", file="f0.txt")
    again = git(rig.repo, "rev-parse", "HEAD")
    before = counts(rig)
    with pytest.raises(UsageError, match="conflicts"):
        service.hotfix("v1.0.0", [again])
    assert counts(rig) == before
    assert "hotfix" not in git(rig.repo, "branch", "--list")
    assert conflicting

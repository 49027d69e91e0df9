"""The git adapter on real repositories: one process per history read, machine-format parsing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.train.fakes import commit, git, make_repo
from trainmaster.adapters.git.repo import CherryPickConflict, GitRepo
from trainmaster.errors import UsageError


def test_log_reads_every_field_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path, [f"fix: change {i}" for i in range(30)])
    commit(repo, "feat: tricky\n\nbody with | pipes, \x1f unit separators,\n\n\nand blank lines\n")
    calls: list[list[str]] = []
    real_run, real_popen = subprocess.run, subprocess.Popen

    def counting_run(args, *a, **kw):  # type: ignore[no-untyped-def]
        calls.append(list(args))
        return real_run(args, *a, **kw)

    def counting_popen(args, *a, **kw):  # type: ignore[no-untyped-def]
        calls.append(list(args))
        return real_popen(args, *a, **kw)

    monkeypatch.setattr(subprocess, "run", counting_run)
    monkeypatch.setattr(subprocess, "Popen", counting_popen)
    commits = GitRepo(repo).log(["v1.0.0..HEAD"])
    assert len(calls) == 1
    assert len(commits) == 31
    assert (
        commits[0].message
        == "feat: tricky\n\nbody with | pipes, \x1f unit separators,\n\nand blank lines"
    )
    assert commits[-1].message == "fix: change 0"
    assert (commits[0].author, commits[0].email) == ("Ada Author", "ada@example.com")
    assert len(commits[0].sha) == 40 and commits[0].date.startswith("20")


def test_bad_ranges_are_usage_errors(tmp_path: Path) -> None:
    repo = GitRepo(make_repo(tmp_path))
    with pytest.raises(UsageError, match="unknown revision"):
        repo.log(["nope..HEAD"])
    with pytest.raises(UsageError, match="not a revision range"):
        repo.log(["--all"])
    with pytest.raises(UsageError, match="not a git repository"):
        GitRepo(tmp_path.parent).check_repository()


def test_tags_merged_and_peeled(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, ["fix: a"])
    git(tmp_path, "switch", "-q", "-c", "side")
    side = commit(tmp_path, "fix: side")
    git(tmp_path, "tag", "v9.9.9")  # lightweight, not on main
    git(tmp_path, "switch", "-q", "main")
    g = GitRepo(repo)
    assert set(g.tags("v*")) == {"v1.0.0", "v9.9.9"}
    assert set(g.tags("v*", merged_into="main")) == {"v1.0.0"}
    assert g.tags("v*")["v9.9.9"] == side
    assert g.tags("v*")["v1.0.0"] == git(tmp_path, "rev-parse", "v1.0.0^{commit}")
    assert g.resolve_many(["main", "nope"]) == {
        "main": git(tmp_path, "rev-parse", "main"),
        "nope": None,
    }


def test_cherry_pick_in_a_throwaway_worktree(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, ["fix: a"])
    pick = commit(tmp_path, "fix: b", file="b.txt")
    g = GitRepo(repo)
    built = g.cherry_pick_onto(git(tmp_path, "rev-parse", "v1.0.0"), [pick])
    assert git(tmp_path, "log", "-1", "--format=%s", built) == "fix: b"
    assert git(tmp_path, "rev-parse", "HEAD") == pick  # the caller's checkout did not move
    assert git(tmp_path, "worktree", "list").count("\n") == 0
    commit(tmp_path, "fix: a again", file="f1.txt")
    clash = commit(tmp_path, "fix: a thrice", file="f1.txt")
    with pytest.raises(CherryPickConflict):
        g.cherry_pick_onto(git(tmp_path, "rev-parse", "v1.0.0"), [clash])
    assert git(tmp_path, "status", "--porcelain") == ""

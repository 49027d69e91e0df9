"""The default notes range starts at the highest release tag merged into HEAD: found by asking
git about the highest tags first, it must equal `latest_release` over `--merged=HEAD`."""

from __future__ import annotations

from pathlib import Path

from tests.train.fakes import commit, git, make_repo
from trainmaster.adapters.git.repo import GitRepo
from trainmaster.train.notes_source import last_release
from trainmaster.train.version import latest_release, tag_glob


def _reference(repo: GitRepo, pattern: str) -> tuple[str, str] | None:
    return latest_release(repo.tags(tag_glob(pattern), merged_into="HEAD"), pattern)


def _side_tags(path: Path, names: list[str]) -> None:
    """Tags on a branch HEAD never merges (another release line)."""
    git(path, "switch", "-q", "-c", "side")
    for name in names:
        commit(path, f"fix: side {name}")
        git(path, "tag", name)
    git(path, "switch", "-q", "main")


def test_the_highest_merged_tag_wins_over_higher_tags_elsewhere(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "r", ["feat: a"])  # v1.0.0
    git(path, "tag", "v1.1.0")
    git(path, "tag", "v01.1.0")  # the same version: the first listed wins, as before
    commit(path, "feat: b")
    git(path, "tag", "v3.0.0-rc.1")  # a pre-release never starts a range
    _side_tags(path, ["v2.0.0", "v9.0.0"])
    commit(path, "fix: c")
    repo = GitRepo(path)
    expected = ("v01.1.0", "01.1.0")
    assert last_release(repo, "v{version}") == _reference(repo, "v{version}") == expected
    assert last_release(repo, "release-{version}") is None is _reference(repo, "release-{version}")


def test_more_unmerged_tags_than_checks_fall_back_to_one_walk(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "r", ["feat: a"])  # v1.0.0 on main
    _side_tags(path, [f"v2.{n}.0" for n in range(12)])
    repo = GitRepo(path)
    assert (
        last_release(repo, "v{version}")
        == _reference(repo, "v{version}")
        == (
            "v1.0.0",
            "1.0.0",
        )
    )
    git(path, "tag", "-d", "v1.0.0")
    assert last_release(repo, "v{version}") is None is _reference(repo, "v{version}")

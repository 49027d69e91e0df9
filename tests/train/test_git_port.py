"""The train plans a cut from commits and tags given as plain data: the git port, not a
repository, is all `plan_cut` needs (GitRepo is one adapter behind it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

import pytest

from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.train.cutting import CutRefused, plan_cut

NOW = datetime(2026, 11, 5, 18, 0, tzinfo=UTC)


class Commit(NamedTuple):
    sha: str
    author: str
    email: str
    date: str
    message: str


@dataclass
class History:
    """A repository as data: commits since the last tag, the tags, nothing else."""

    commits: list[Commit]
    tagged: dict[str, str] = field(default_factory=dict)
    dirty: bool = False
    asked: list[Sequence[str]] = field(default_factory=list)

    def check_repository(self) -> None:
        """Always a repository."""

    def log(self, revisions: Sequence[str], *, first_parent: bool = False) -> list[Commit]:
        self.asked.append(revisions)
        return self.commits

    def resolve(self, rev: str) -> str | None:
        return self.commits[0].sha if self.commits else None

    def tags(self, pattern: str, *, merged_into: str | None = None) -> dict[str, str]:
        return dict(self.tagged)

    def branch_exists(self, name: str) -> bool:
        return False

    def tag_exists(self, name: str) -> bool:
        return name in self.tagged

    def is_dirty(self) -> bool:
        return self.dirty

    def has_remote(self, name: str = "origin") -> bool:
        return False


def commit(n: int, message: str) -> Commit:
    return Commit(f"{n:040x}", "Ada", "ada@example.com", "2026-11-02T10:00:00+00:00", message)


def policy():  # type: ignore[no-untyped-def]
    return parse_policy(seed_policy_text("acme", "maestro").replace("forge: github", "forge: none"))


def test_a_feature_since_the_last_tag_is_a_minor_release() -> None:
    history = History(
        [commit(2, "feat(api): orders (#12)"), commit(1, "fix: carts (#13)")],
        {"v1.0.0": f"{0:040x}"},
    )
    plan = plan_cut(policy(), history, now=NOW, forge_enabled=False)  # type: ignore[arg-type]
    assert (plan.version, plan.tag, plan.branch) == ("1.1.0", "v1.1.0", "release/1.1.0")
    assert plan.previous_tag == "v1.0.0" and plan.sha == f"{2:040x}"
    assert [c.sha for c in plan.changes] == [f"{2:040x}", f"{1:040x}"]
    assert history.asked == [[f"v1.0.0..{2:040x}"]]
    assert [e.kind for e in plan.effects] == ["git.branch", "git.tag"]


def test_only_fixes_are_a_patch_and_a_dirty_tree_is_refused() -> None:
    fixes = History([commit(3, "fix: carts (#13)")], {"v1.0.0": f"{0:040x}"})
    assert plan_cut(policy(), fixes, now=NOW, forge_enabled=False).version == "1.0.1"  # type: ignore[arg-type]
    fixes.dirty = True
    with pytest.raises(CutRefused, match="uncommitted changes"):
        plan_cut(policy(), fixes, now=NOW, forge_enabled=False)  # type: ignore[arg-type]

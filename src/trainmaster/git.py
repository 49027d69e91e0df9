"""The git port: what the train reads from and writes to a repository, as plain data.

The train plans a cut from commits and tags (`train/cutting.py`) and applies its branch, tag and
push effects through this protocol; `adapters/git/repo.GitRepo` is the adapter that runs git.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Commit(Protocol):
    """One commit as recorded: id, author, ISO 8601 date with offset, the whole message."""

    @property
    def sha(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def date(self) -> str: ...
    @property
    def message(self) -> str: ...


class Git(Protocol):
    def check_repository(self) -> None:
        """UsageError unless the path is a git work tree with at least one commit."""
        ...

    def log(self, revisions: Sequence[str], *, first_parent: bool = False) -> Sequence[Commit]: ...

    def resolve(self, rev: str) -> str | None:
        """The commit id `rev` names, or None when it names nothing."""
        ...

    def resolve_many(self, revs: Sequence[str]) -> dict[str, str | None]: ...

    def tags(self, pattern: str, *, merged_into: str | None = None) -> dict[str, str]:
        """Tag name → commit id for tags matching the glob (only those reachable from
        `merged_into` when given)."""
        ...

    def branch_exists(self, name: str) -> bool: ...

    def tag_exists(self, name: str) -> bool: ...

    def is_dirty(self) -> bool: ...

    def has_remote(self, name: str = "origin") -> bool: ...

    def create_branch(self, name: str, sha: str) -> None: ...

    def create_tag(self, name: str, sha: str, message: str) -> None: ...

    def push(self, refs: Sequence[str], remote: str = "origin") -> None: ...

    def cherry_pick_onto(self, base: str, picks: Sequence[str]) -> str:
        """The commit id of `picks` applied on `base`, on no branch (nothing checked out)."""
        ...

"""The forge port: what features other than governance need from GitHub.

The GitHub adapter (`adapters/github`) implements it; tests use the GitHub emulator in
`tests/emulators/github` (schema-validated) or a fake. With `backends.forge: none` the features
skip forge effects and say so in their plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

PullState = Literal["open", "closed", "merged"]


@dataclass(frozen=True)
class ReleaseRef:
    id: int
    tag: str
    url: str
    draft: bool


@dataclass(frozen=True)
class PullRef:
    number: int
    url: str
    state: PullState


class Forge(Protocol):
    def find_release(self, repo: str, tag: str) -> ReleaseRef | None:
        """The release for `tag` (drafts included), or None."""
        ...

    def create_release(
        self,
        repo: str,
        *,
        tag: str,
        name: str,
        body: str,
        draft: bool = True,
        target: str | None = None,
    ) -> ReleaseRef: ...

    def upload_release_asset(
        self,
        repo: str,
        release_id: int,
        path: Path,
        *,
        name: str | None = None,
        content_type: str = "application/gzip",
    ) -> str:
        """Upload a file to a release; returns its download URL. Re-uploading the same name is a
        no-op when the content is identical."""
        ...

    def open_pull_request(
        self, repo: str, *, head: str, base: str, title: str, body: str
    ) -> PullRef:
        """Open a PR, or return the open one for the same head and base."""
        ...

    def pull_request(self, repo: str, number: int) -> PullRef: ...

    def close(self) -> None:
        """Release the connections this forge holds (the composition root calls it once)."""
        ...

"""`notes` and `announce`: a revision range read in one git pass, enriched from the store.

Only the range is read: tags outside it are never listed, so the cost follows the commits
asked for, not the size of the repository's tag list.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from trainmaster.adapters.git.repo import GitRepo
from trainmaster.config.model import Policy
from trainmaster.notes.commits import parse_change
from trainmaster.notes.release import Context
from trainmaster.notes.render import Format, Kind
from trainmaster.train.version import tag_glob, version_of_tag

if TYPE_CHECKING:
    from trainmaster.store import Store


def split_range(git: GitRepo, policy: Policy, revisions: str | None) -> tuple[str, str, list[str]]:
    """(from, to, git revisions). Default: the last release tag reachable from HEAD..HEAD."""
    if revisions is None:
        from trainmaster.train.version import latest_release

        tags = git.tags(tag_glob(policy.train.tag), merged_into="HEAD")
        last = latest_release(tags, policy.train.tag)
        return (last[0], "HEAD", [f"{last[0]}..HEAD"]) if last else ("", "HEAD", ["HEAD"])
    if ".." in revisions:
        start, _, end = revisions.partition("..")
        end = end.lstrip(".") or "HEAD"
        return start, end, [f"{start}..{end}"]
    return "", revisions, [revisions]


def render_notes(
    policy: Policy,
    repo_path: Path,
    revisions: str | None,
    *,
    fmt: Format,
    kind: Kind,
    store: Callable[[], Store] | None,
    base_dir: Path,
) -> str:
    from trainmaster.notes.compose import notes_text

    git = GitRepo(repo_path)
    start, end, revs = split_range(git, policy, revisions)
    changes = [
        parse_change(c.sha, c.message, author=c.author, email=c.email, date=c.date)
        for c in git.log(revs)
    ]
    context = Context(
        version=version_of_tag(end, policy.train.tag) or "" if end != "HEAD" else "",
        previous=start,
        project=policy.project.name,
        owner=policy.project.owner,
        pager=policy.project.pager,
    )
    if store is not None:
        from trainmaster.train.preview import notes_context

        with store().transaction() as session:
            context = notes_context(session, policy, end, start)
    return notes_text(policy, changes, context, fmt=fmt, kind=kind, base_dir=base_dir)

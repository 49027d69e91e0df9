"""`notes` and `announce`: a revision range read in one git pass, enriched from the store.

Only the range is read: tags outside it are never listed, so the cost follows the commits
asked for, not the size of the repository's tag list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from trainmaster.adapters.git.repo import GitRepo
from trainmaster.notes.commits import Change, parse_change
from trainmaster.notes.release import Context
from trainmaster.notes.render import Format, Kind
from trainmaster.train.version import tag_glob, version_of_tag

if TYPE_CHECKING:
    from trainmaster.config.model import Policy
    from trainmaster.store import Store

DEFAULT_TAG = "v{version}"  # the policy model's default, without importing it
_ANCESTOR_CHECKS = 8  # one git process each


def split_range(git: GitRepo, pattern: str, revisions: str | None) -> tuple[str, str, list[str]]:
    """(from, to, git revisions). Default: the last release tag reachable from HEAD..HEAD."""
    if revisions is None:
        last = last_release(git, pattern)
        return (last[0], "HEAD", [f"{last[0]}..HEAD"]) if last else ("", "HEAD", ["HEAD"])
    if ".." in revisions:
        start, _, end = revisions.partition("..")
        end = end.lstrip(".") or "HEAD"
        return start, end, [f"{start}..{end}"]
    return "", revisions, [revisions]


def last_release(git: GitRepo, pattern: str) -> tuple[str, str] | None:
    """The highest release tag merged into HEAD (`latest_release` over `--merged=HEAD`), found by
    asking git about the highest tags first: listing tags is instant, and `--merged` walks back
    to the oldest matching tag, often the whole history, on every default `notes`."""
    from trainmaster.train.version import latest_release, releases_highest_first

    tags = git.tags(tag_glob(pattern))
    ranked = releases_highest_first(tags, pattern)
    for tag, version in ranked[:_ANCESTOR_CHECKS]:
        if git.is_ancestor(tags[tag], "HEAD"):
            return tag, version
    if len(ranked) <= _ANCESTOR_CHECKS:
        return None
    # many higher tags off this branch (e.g. other release lines): one walk settles the rest
    return latest_release(git.tags(tag_glob(pattern), merged_into="HEAD"), pattern)


def render_notes(
    policy: Policy | None,
    repo_path: Path,
    revisions: str | None,
    *,
    fmt: Format,
    kind: Kind,
    store: Callable[[], Store] | None,
    base_dir: Path,
) -> str:
    """`policy` None (no policy file): the defaults, and nothing is read from a store."""
    from trainmaster.notes.compose import notes_text

    git = GitRepo(repo_path)
    pattern = policy.train.tag if policy is not None else DEFAULT_TAG
    start, end, revs = split_range(git, pattern, revisions)
    # Parsed while git still walks the history (iter_log streams): on two cores the parse
    # costs little more than git's own walk.
    changes = [
        parse_change(c.sha, c.message, author=c.author, email=c.email, date=c.date)
        for c in git.iter_log(revs)
    ]
    version = (version_of_tag(end, pattern) or "") if end != "HEAD" else ""
    if not version and kind == "announce":  # announcing the train about to be cut
        version = _upcoming(policy, version_of_tag(start, pattern) if start else None, changes)
    context = Context(version=version, previous=start)
    if policy is not None:
        project = policy.project
        context = replace(context, project=project.name, owner=project.owner, pager=project.pager)
    if store is not None and policy is not None:
        from trainmaster.train.preview import notes_context

        with store().transaction() as session:
            context = notes_context(session, end, context)
    return notes_text(policy, changes, context, fmt=fmt, kind=kind, base_dir=base_dir)


def _upcoming(policy: Policy | None, previous: str | None, changes: list[Change]) -> str:
    from trainmaster.train.version import bump_for, next_semver

    if policy is not None and policy.train.versioning.scheme.value != "semver":
        return "next"  # calver depends on the cut's date: `train preview` shows it
    initial = policy.train.versioning.initial if policy is not None else "0.1.0"
    return next_semver(previous, bump_for(changes), initial)

"""Notes for a policy: links from the GitHub settings, template overrides from files."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainmaster.errors import PolicyError
from trainmaster.notes.commits import Change
from trainmaster.notes.release import Context, Links, build_announcement, build_notes
from trainmaster.notes.render import Format, Kind, render

if TYPE_CHECKING:  # notes must start fast in a repository without a policy: no pydantic then
    from trainmaster.config.model import Policy

_PLACEHOLDER_REPO = "OWNER/REPO"


def links_for(policy: Policy) -> Links:
    if policy.notes.link_base:
        return Links(policy.notes.link_base.rstrip("/"))
    repo = policy.repos[0] if policy.repos else ""
    if not repo or repo == _PLACEHOLDER_REPO:
        return Links()
    api = policy.github.api_url
    web = "https://github.com" if api == "https://api.github.com" else re.sub(r"/api/v3$", "", api)
    return Links(f"{web}/{repo}")


def template_overrides(policy: Policy, base_dir: Path) -> dict[str, str]:
    sources: dict[str, str] = {}
    for name, file in policy.notes.templates.items():
        path = Path(file) if Path(file).is_absolute() else base_dir / file
        try:
            sources[name] = path.read_text(encoding="utf-8")
        except OSError as e:
            raise PolicyError(f"notes.templates.{name}: cannot read {path}: {e.strerror}") from e
    return sources


def notes_text(
    policy: Policy | None,
    changes: Iterable[Change],
    context: Context,
    *,
    fmt: Format = "md",
    kind: Kind = "release",
    base_dir: Path | None = None,
) -> str:
    """`policy` None: the defaults (no links, built-in templates), without loading pydantic."""
    links = links_for(policy) if policy is not None else Links()
    data = build_notes(changes, links, context)
    if kind == "announce":
        data = build_announcement(data, context)
    overrides = template_overrides(policy, base_dir or Path.cwd()) if policy is not None else {}
    return render(data, kind=kind, fmt=fmt, overrides=overrides)


def notes_data(
    policy: Policy, changes: Iterable[Change], context: Context, *, kind: Kind = "release"
) -> dict[str, Any]:
    data = build_notes(changes, links_for(policy), context)
    return build_announcement(data, context) if kind == "announce" else data

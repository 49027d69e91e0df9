"""Group parsed changes into the seed's post-release notes and the pre-train announcement.

Pure: the content is a plain dict (the `--format json` output and the templates' context), so
a policy template can use any field and JSON consumers get the same data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trainmaster.notes.commits import FLAG_KEYS, MIGRATION_KEYS, Change

# Section order and titles as a release captain reads them: what breaks first.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("breaking", "Breaking changes"),
    ("feat", "New features"),
    ("fix", "Fixes"),
    ("perf", "Performance"),
    ("revert", "Reverts"),
    ("other", "Other changes"),
)
# Types that do not change what users run; counted, not listed (like most changelog tools).
QUIET_TYPES = frozenset({"chore", "ci", "build", "docs", "style", "test", "refactor", "merge"})
CO_AUTHOR = "co-authored-by"
MIGRATION_SCOPES = frozenset({"migration", "migrations"})


@dataclass(frozen=True)
class Links:
    """Where PRs and commits live on the web; empty base means no links."""

    web: str = ""  # e.g. https://github.com/acme/maestro

    def pull(self, number: int) -> str:
        return f"{self.web}/pull/{number}" if self.web else ""

    def commit(self, sha: str) -> str:
        return f"{self.web}/commit/{sha}" if self.web else ""


@dataclass(frozen=True)
class Context:
    """What the notes say besides commits: the release, its gate results and incidents."""

    version: str = ""
    previous: str = ""
    date: str = ""
    project: str = ""
    owner: str = ""
    pager: str = ""
    digest: str = ""
    previous_digest: str = ""
    gates: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # stage → gate → verdict
    incidents: Sequence[str] = ()
    migrations_executed: Sequence[str] = ()


def entry(change: Change, links: Links) -> dict[str, Any]:
    return {
        "sha": change.sha,
        "short": change.short,
        "type": change.type,
        "scope": change.scope,
        "description": change.description,
        "breaking": change.breaking,
        "breaking_note": change.breaking_note,
        "prs": [{"number": n, "url": links.pull(n)} for n in change.prs],
        "author": change.author,
        "email": change.email,
        "url": links.commit(change.sha),
    }


def build_notes(changes: Iterable[Change], links: Links, context: Context) -> dict[str, Any]:
    """The post-release notes as data: sections, flags, migrations, SLO status, authors."""
    sections: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in SECTIONS}
    flags: list[dict[str, Any]] = []
    migrations: list[dict[str, Any]] = []
    authors: dict[str, int] = {}
    total = quiet = 0
    for change in changes:
        total += 1
        authors[change.author] = authors.get(change.author, 0) + 1
        for co in _co_authors(change) if change.footers else ():
            authors[co] = authors.get(co, 0) + 1
        key = change.type if change.type in sections else "other"
        listed = change.type not in QUIET_TYPES and not (key == "other" and change.conventional)
        flagged = change.footer_values(FLAG_KEYS) if change.footers else []
        migrated = _migrations(change)
        if not (listed or change.breaking or flagged or migrated):
            quiet += 1  # quiet types and unknown conventional types are counted, not listed
            continue
        item = entry(change, links)
        if change.breaking:
            sections["breaking"].append(item)
        flags.extend({**item, "flag": v} for v in flagged)
        migrations.extend({**item, "migration": v} for v in migrated)
        if listed:
            sections[key].append(item)
        else:
            quiet += 1
    return {
        "version": context.version,
        "previous": context.previous,
        "date": context.date,
        "project": context.project,
        "sections": [
            {"key": key, "title": title, "changes": sections[key]}
            for key, title in SECTIONS
            if sections[key]
        ],
        "flags": flags,
        "migrations": migrations,
        "migrations_executed": list(context.migrations_executed),
        "slo": _slo(context),
        "incidents": list(context.incidents),
        "authors": sorted(authors, key=lambda a: (-authors[a], a)),
        "counts": {"commits": total, "listed": total - quiet, "quiet": quiet},
    }


def build_announcement(notes: Mapping[str, Any], context: Context) -> dict[str, Any]:
    """The seed's change announcement: impact, risk & rollback, owner & on-call, migration
    notes & flags."""
    keys = {s["key"]: len(s["changes"]) for s in notes["sections"]}
    risk = (
        "high"
        if keys.get("breaking") or notes["migrations"]
        else ("medium" if keys.get("feat") or notes["flags"] else "low")
    )
    return {
        **notes,
        "impact": {key: count for key, count in keys.items()},
        "risk": risk,
        "rollback": {
            "command": "trainmaster rollback --env prod --reason '<why>'",
            "to_digest": context.previous_digest,
        },
        "owner": context.owner,
        "pager": context.pager,
        "digest": context.digest,
    }


def _co_authors(change: Change) -> list[str]:
    return [
        co.split("<", 1)[0].strip() or co
        for co in (f.value for f in change.footers if f.key.lower() == CO_AUTHOR)
    ]


def _migrations(change: Change) -> list[str]:
    """The migrations a change names: its footers, else its description under a migration
    scope (a revert of one runs nothing new)."""
    named = change.footer_values(MIGRATION_KEYS) if change.footers else []
    if named:
        return named
    if change.scope and change.scope.lower() in MIGRATION_SCOPES and change.type != "revert":
        return [change.description]
    return []


def _slo(context: Context) -> dict[str, Any]:
    """Per stage, the combined verdict of its gates (fail beats inconclusive beats pass)."""
    stages: dict[str, Any] = {}
    for stage, gates in context.gates.items():
        verdicts = set(gates.values())
        overall = next((v for v in ("fail", "inconclusive") if v in verdicts), "pass")
        stages[stage] = {"verdict": overall if gates else "unknown", "gates": dict(gates)}
    return stages

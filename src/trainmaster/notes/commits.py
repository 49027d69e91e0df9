"""Conventional Commits: parse a commit message into type, scope, breaking flag, PRs and footers.

Pure: takes the raw fields the git adapter read, returns frozen values. Messages that do not
follow the convention are kept (type "other") so nothing silently disappears from the notes.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_HEADER = re.compile(
    r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?:[ \t]*(?P<desc>.+)$"
)
_PR = re.compile(r"(?:\(|^|\s)#(\d+)\b")
_PR_SUFFIX = re.compile(r"\s*\(#\d+\)")
_FOOTER = re.compile(r"^(?P<key>BREAKING[ -]CHANGE|[A-Za-z][A-Za-z0-9-]*)(?::[ ]| #)(?P<value>.*)$")
_PARAGRAPH = re.compile(r"\n\s*\n")
_REVERT = re.compile(r'^Revert "(?P<subject>.+)"$')
# Merge commits repeat what their branch's commits already say: counted, never listed.
_MERGE = re.compile(r"^Merge (pull request|branch|remote-tracking branch|tag) ")

BREAKING_KEYS = frozenset({"BREAKING CHANGE", "BREAKING-CHANGE"})
FLAG_KEYS = frozenset({"flag", "feature-flag", "flag-default"})
MIGRATION_KEYS = frozenset({"migration", "migrations", "db-migration"})


class Footer(NamedTuple):
    key: str
    value: str


class Change(NamedTuple):
    """One commit as the notes see it. A NamedTuple, not a frozen dataclass: a whole history is
    tens of thousands of these, and tuple construction is several times cheaper."""

    sha: str
    type: str  # feat, fix, perf, ... or "other" when the header is not conventional
    scope: str | None
    description: str
    breaking: bool
    breaking_note: str | None
    prs: tuple[int, ...]
    author: str
    email: str
    date: str
    footers: tuple[Footer, ...]
    conventional: bool

    @property
    def short(self) -> str:
        return self.sha[:7]

    def footer_values(self, keys: frozenset[str]) -> list[str]:
        return [f.value for f in self.footers if f.key.lower() in keys]


def parse_change(
    sha: str, message: str, *, author: str = "", email: str = "", date: str = ""
) -> Change:
    subject, _, body = message.partition("\n")
    subject = subject.strip()
    header = _HEADER.match(subject)
    footers = _footers(body) if body else ()
    breaking_notes = [f.value for f in footers if f.key in BREAKING_KEYS] if footers else []
    description = subject if header is None else header["desc"]
    prs: tuple[int, ...] = ()
    if "#" in subject:  # most subjects carry no PR number: skip the regexes
        prs = tuple(dict.fromkeys(int(n) for n in _PR.findall(subject)))
        description = _PR_SUFFIX.sub("", description).strip()
    if header is None:
        revert = _REVERT.match(subject)
        kind = "revert" if revert else ("merge" if _MERGE.match(subject) else "other")
        return Change(
            sha=sha,
            type=kind,
            scope=None,
            description=revert["subject"] if revert else description,
            breaking=bool(breaking_notes),
            breaking_note=breaking_notes[0] if breaking_notes else None,
            prs=prs,
            author=author,
            email=email,
            date=date,
            footers=footers,
            conventional=False,
        )
    bang = header["bang"] is not None
    return Change(
        sha=sha,
        type=header["type"].lower(),
        scope=(header["scope"] or "").strip() or None,
        description=description,
        breaking=bang or bool(breaking_notes),
        breaking_note=breaking_notes[0] if breaking_notes else (description if bang else None),
        prs=prs,
        author=author,
        email=email,
        date=date,
        footers=footers,
        conventional=True,
    )


def _footers(body: str) -> tuple[Footer, ...]:
    """Footers are the trailing paragraph of `key: value` lines (continuation lines indented or
    plain text join the previous value, as git trailers and the spec allow)."""
    if ":" not in body and "#" not in body:
        return ()
    paragraphs = [p for p in _PARAGRAPH.split(body.strip()) if p.strip()]
    found: list[Footer] = []
    for paragraph in paragraphs:
        lines = paragraph.splitlines()
        if not _FOOTER.match(lines[0]):
            continue
        for line in lines:
            matched = _FOOTER.match(line)
            if matched:
                found.append(Footer(matched["key"], matched["value"].strip()))
            elif found and line.strip():
                last = found[-1]
                found[-1] = Footer(last.key, f"{last.value} {line.strip()}".strip())
    return tuple(found)

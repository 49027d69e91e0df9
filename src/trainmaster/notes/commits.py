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
# A footer's `key: ` or `key #` at the start of a line: no such line, no footers (most bodies).
_FOOTER_START = re.compile(r"^(?:BREAKING[ -]CHANGE|[A-Za-z][A-Za-z0-9-]*)(?::[ ]| #)", re.M)
_PARAGRAPH = re.compile(r"\n\s*\n")
# git's own revert subject, and GitHub's squash merge of a revert PR, which appends "(#123)".
_REVERT = re.compile(r'^Revert "(?P<subject>.+)"(?P<squashed>(?:\s*\(#\d+\))*)$')
# Merge commits repeat what their branch's commits already say: counted, never listed.
_MERGE = re.compile(r"^Merge (pull request|branch|remote-tracking branch|tag) ")
BOM = "\ufeff"

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
    trimmed = subject.strip()
    footers = _footers(body) if body else ()
    notes = [f.value for f in footers if f.key in BREAKING_KEYS] if footers else []
    prs: tuple[int, ...] = ()
    if "#" in trimmed:  # most subjects carry no PR number: skip the regexes
        prs = _pull_requests(trimmed)
    header = _HEADER.match(trimmed)
    if header is None:
        if trimmed.startswith(BOM) and (header := _HEADER.match(trimmed[1:])) is not None:
            # git-cliff keeps a byte-order mark as part of the type: a type no group names, so
            # the commit lands in Other, its header (scope, `!`, description) still parsed.
            return _change(sha, "other", header, notes, prs, footers, author, email, date, False)
        return _unparsed(sha, trimmed, "", notes, prs, footers, author, email, date)
    if subject[:1].isspace():
        # git-cliff's parser rejects a header after leading whitespace (no scope, no `!`, the
        # whole subject is the text) while its groups match the trimmed subject: same here.
        kind = header["type"].lower()
        return _unparsed(sha, trimmed, kind, notes, prs, footers, author, email, date)
    kind = header["type"].lower()
    return _change(sha, kind, header, notes, prs, footers, author, email, date, True)


def _change(
    sha: str,
    kind: str,
    header: re.Match[str],
    notes: list[str],
    prs: tuple[int, ...],
    footers: tuple[Footer, ...],
    author: str,
    email: str,
    date: str,
    conventional: bool,
) -> Change:
    description = header["desc"]
    if "#" in header.string:
        description = _without_pull_requests(description)
    bang = header["bang"] is not None
    note = notes[0] if notes else (description if bang else None)
    scope = (header["scope"] or "").strip() or None
    breaking = bang or bool(notes)
    return Change(
        sha,
        kind,
        scope,
        description,
        breaking,
        note,
        prs,
        author,
        email,
        date,
        footers,
        conventional,
    )


def _unparsed(
    sha: str,
    subject: str,
    kind: str,
    notes: list[str],
    prs: tuple[int, ...],
    footers: tuple[Footer, ...],
    author: str,
    email: str,
    date: str,
) -> Change:
    """A subject without a Conventional Commits header: a revert, a merge, or other."""
    description = _without_pull_requests(subject) if "#" in subject else subject
    if not kind:
        revert = _REVERT.match(subject)
        if revert:
            kind, description = "revert", revert["subject"]
            if revert["squashed"]:  # the numbers are in `prs`: listed once, not twice
                description = _without_pull_requests(description)
        else:
            kind = "merge" if _MERGE.match(subject) else "other"
    note = notes[0] if notes else None
    return Change(
        sha, kind, None, description, bool(notes), note, prs, author, email, date, footers, False
    )


def _pull_requests(subject: str) -> tuple[int, ...]:
    number = _lone_suffix(subject)
    if number is not None:
        return (int(number),)
    return tuple(dict.fromkeys(int(n) for n in _PR.findall(subject)))


def _without_pull_requests(text: str) -> str:
    if _lone_suffix(text) is not None:
        return text[: text.rindex("(#")].strip()
    return _PR_SUFFIX.sub("", text).strip()


def _lone_suffix(text: str) -> str | None:
    """The number of a text's one "#", in a "(#123)" that ends it (GitHub's squash subject):
    what the regexes find there, without running them on most subjects."""
    head, found, tail = text.rpartition("(#")
    if found and tail[-1:] == ")" and tail[:-1].isdecimal() and "#" not in head:
        return tail[:-1]
    return None


def _footers(body: str) -> tuple[Footer, ...]:
    """Footers are the paragraphs that open with a `key: value` line (continuation lines indented
    or plain text join the previous value, as git trailers and the spec allow)."""
    if ":" not in body and "#" not in body:
        return ()
    text = body.strip()
    if _FOOTER_START.search(text) is None:
        return ()
    found: list[Footer] = []
    for paragraph in _PARAGRAPH.split(text):
        # Matching the paragraph's start equals matching its first line: the key and separator
        # never span a line break.
        if _FOOTER_START.match(paragraph) is None:
            continue
        for line in paragraph.splitlines():
            matched = _FOOTER.match(line)
            if matched:
                found.append(Footer(matched["key"], matched["value"].strip()))
            elif found and line.strip():
                last = found[-1]
                found[-1] = Footer(last.key, f"{last.value} {line.strip()}".strip())
    return tuple(found)

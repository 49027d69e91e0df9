"""Versions: the next release number from Conventional Commits (semver) or the date (calver).

Pure. semver: breaking → major (also from 0.x, as commitizen and semantic-release do by
default), feat → minor, anything else → patch.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from datetime import date
from enum import IntEnum

from trainmaster.errors import PolicyError, UsageError
from trainmaster.notes.commits import Change

_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")
_CALVER_TOKENS = re.compile(r"YYYY|YY|0M|MM|0D|DD|MICRO")


class Bump(IntEnum):
    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3


def bump_for(changes: Iterable[Change]) -> Bump:
    level = Bump.NONE
    for change in changes:
        if change.breaking:
            return Bump.MAJOR
        level = max(level, Bump.MINOR if change.type == "feat" else Bump.PATCH)
    return level


def parse_semver(text: str) -> tuple[int, int, int]:
    matched = _SEMVER.match(text)
    if not matched:
        raise UsageError(f"{text!r} is not a semantic version (X.Y.Z)")
    return int(matched[1]), int(matched[2]), int(matched[3])


def next_semver(previous: str | None, bump: Bump, initial: str) -> str:
    if previous is None:
        return initial
    major, minor, patch = parse_semver(previous)
    if bump is Bump.MAJOR:
        return f"{major + 1}.0.0"
    if bump is Bump.MINOR:
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def next_calver(fmt: str, today: date, existing: Iterable[str]) -> str:
    """The first MICRO not yet used for today's date parts (MICRO starts at 0)."""
    if "MICRO" not in fmt:
        candidate = _calver(fmt, today, 0)
        if candidate in set(existing):
            raise UsageError(f"calver {candidate} already exists and the format has no MICRO")
        return candidate
    used = set(existing)
    micro = 0
    while _calver(fmt, today, micro) in used:
        micro += 1
    return _calver(fmt, today, micro)


def _calver(fmt: str, day: date, micro: int) -> str:
    values = {
        "YYYY": f"{day.year}",
        "YY": f"{day.year % 100}",
        "0M": f"{day.month:02d}",
        "MM": f"{day.month}",
        "0D": f"{day.day:02d}",
        "DD": f"{day.day}",
        "MICRO": f"{micro}",
    }
    return _CALVER_TOKENS.sub(lambda m: values[m.group(0)], fmt)


def next_patch(version: str, scheme: str) -> str:
    """The hotfix version after `version`: the last numeric part plus one."""
    if scheme == "semver":
        major, minor, patch = parse_semver(version)
        return f"{major}.{minor}.{patch + 1}"
    parts = version.split(".")
    if not parts[-1].isdigit():
        raise UsageError(f"{version!r}: the last part of a calver hotfix base must be a number")
    return ".".join([*parts[:-1], str(int(parts[-1]) + 1)])


def tag_glob(pattern: str) -> str:
    return pattern.replace("{version}", "*")


def version_of_tag(tag: str, pattern: str) -> str | None:
    """`v1.2.3` with pattern `v{version}` → `1.2.3`; None when the tag is not a release tag."""
    if "{version}" not in pattern:
        raise PolicyError(f"tag pattern {pattern!r} must contain {{version}}")
    prefix, _, suffix = pattern.partition("{version}")
    if not fnmatch.fnmatchcase(tag, f"{prefix}*{suffix}"):
        return None
    inner = tag[len(prefix) : len(tag) - len(suffix) if suffix else None]
    return inner or None


def version_key(version: str) -> tuple[int, ...]:
    """Sort key for semver and calver alike: numeric parts; pre-releases sort below."""
    core, _, pre = version.partition("-")
    numbers = tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.+]", core))
    return (*numbers, 0 if pre else 1)


def latest_release(tags: Iterable[str], pattern: str) -> tuple[str, str] | None:
    """(tag, version) of the highest release tag among `tags` (pre-releases are skipped)."""
    ranked = releases_highest_first(tags, pattern)
    return ranked[0] if ranked else None


def releases_highest_first(tags: Iterable[str], pattern: str) -> list[tuple[str, str]]:
    """(tag, version) of every release tag, highest version first; equal versions keep the
    order of `tags` (the first one wins, as in `latest_release`)."""
    found: list[tuple[tuple[int, ...], str, str]] = []
    for tag in tags:
        version = version_of_tag(tag, pattern)
        if version is None or not version[0].isdigit() or "-" in version:
            continue  # not a release tag, or a pre-release: versions count from releases
        found.append((version_key(version), tag, version))
    found.sort(key=lambda item: item[0], reverse=True)  # stable: ties keep their order
    return [(tag, version) for _, tag, version in found]

"""Versions from Conventional Commits and the date."""

from __future__ import annotations

from datetime import date

import pytest

from trainmaster.errors import UsageError
from trainmaster.notes.commits import parse_change
from trainmaster.train.version import (
    Bump,
    bump_for,
    latest_release,
    next_calver,
    next_patch,
    next_semver,
    version_of_tag,
)


def changes(*messages: str):  # type: ignore[no-untyped-def]
    return [parse_change(str(i), m) for i, m in enumerate(messages)]


@pytest.mark.parametrize(
    ("messages", "bump", "version"),
    [
        (["fix: a", "docs: b"], Bump.PATCH, "1.4.3"),
        (["fix: a", "feat(ui): b"], Bump.MINOR, "1.5.0"),
        (["feat!: a"], Bump.MAJOR, "2.0.0"),
        (["fix: a\n\nBREAKING CHANGE: gone"], Bump.MAJOR, "2.0.0"),
        (["chore: a", "not conventional"], Bump.PATCH, "1.4.3"),
    ],
)
def test_semver_bumps(messages: list[str], bump: Bump, version: str) -> None:
    assert bump_for(changes(*messages)) is bump
    assert next_semver("1.4.2", bump, "0.1.0") == version


def test_first_release_and_zero_major() -> None:
    assert next_semver(None, Bump.MAJOR, "0.1.0") == "0.1.0"
    assert next_semver("0.3.1", Bump.MAJOR, "0.1.0") == "1.0.0"


def test_calver_micro_counts_within_the_month() -> None:
    assert (
        next_calver("YYYY.0M.MICRO", date(2026, 11, 5), ["2026.10.0", "2026.11.0", "2026.11.1"])
        == "2026.11.2"
    )
    assert next_calver("YY.MM.MICRO", date(2027, 1, 7), []) == "27.1.0"
    with pytest.raises(UsageError):
        next_calver("YYYY.0M.0D", date(2026, 11, 5), ["2026.11.05"])


def test_hotfix_patch() -> None:
    assert next_patch("1.4.2", "semver") == "1.4.3"
    assert next_patch("2026.11.1", "calver") == "2026.11.2"


def test_release_tags_by_pattern_and_highest_version() -> None:
    tags = ["v1.9.0", "v1.10.0", "v1.10.0-rc.1", "vnext", "other-2.0.0", "v1.2"]
    assert latest_release(tags, "v{version}") == ("v1.10.0", "1.10.0")
    assert version_of_tag("maestro-1.2.3", "maestro-{version}") == "1.2.3"
    assert version_of_tag("v1.2.3", "maestro-{version}") is None

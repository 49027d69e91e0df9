"""Versions from Conventional Commits and the date."""

from __future__ import annotations

from datetime import date

import pytest

from trainmaster.errors import PolicyError, UsageError
from trainmaster.notes.commits import parse_change
from trainmaster.train.version import (
    Bump,
    bump_for,
    latest_release,
    next_calver,
    next_patch,
    next_semver,
    parse_semver,
    releases_highest_first,
    tag_glob,
    version_key,
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


# --- each rule on its own (pinned by `make mutate MODULE=version`) ---


def test_the_highest_bump_wins_whatever_the_order() -> None:
    assert bump_for(changes("feat: a", "fix: b")) is Bump.MINOR
    assert bump_for(changes("fix: a", "feat: b", "docs!: c")) is Bump.MAJOR
    assert bump_for([]) is Bump.NONE


def test_what_is_not_a_semantic_version_is_refused_by_name() -> None:
    assert parse_semver("1.4.2-rc.1+build.7") == (1, 4, 2)
    for text in ("1.4", "v1.4.2", "1.4.2x"):
        with pytest.raises(UsageError, match=f"'{text}' is not a semantic version"):
            parse_semver(text)


def test_calver_micro_is_the_first_free_one_and_every_token_is_read() -> None:
    day = date(2026, 11, 5)
    assert next_calver("YYYY.0M.MICRO", day, ["2026.11.0"]) == "2026.11.1"
    assert next_calver("YYYY.0M.MICRO", day, ["2026.11.0", "2026.11.1"]) == "2026.11.2"
    assert next_calver("YYYY.MM.DD", day, []) == "2026.11.5"
    assert next_calver("YY.0M.0D", day, ["26.11.04"]) == "26.11.05"
    with pytest.raises(
        UsageError, match=r"calver 2026\.11\.05 already exists and the format has no MICRO"
    ):
        next_calver("YYYY.0M.0D", day, ["2026.11.05"])


def test_a_hotfix_follows_its_scheme() -> None:
    assert next_patch("1.4.2-rc.1", "semver") == "1.4.3"
    assert next_patch("2026.11.5.1", "calver") == "2026.11.5.2"
    with pytest.raises(UsageError, match="last part of a calver hotfix base must be a number"):
        next_patch("2026.11.x", "calver")


def test_tag_patterns_glob_and_read_back() -> None:
    assert tag_glob("v{version}") == "v*"
    assert tag_glob("maestro-{version}-prod") == "maestro-*-prod"
    assert version_of_tag("1.2.3-prod", "{version}-prod") == "1.2.3"
    assert version_of_tag("v", "v{version}") is None
    with pytest.raises(PolicyError, match=r"tag pattern 'v' must contain \{version\}"):
        version_of_tag("v1", "v")


def test_version_order_numbers_then_releases_above_their_prereleases() -> None:
    assert version_key("1.2.3-rc.1") < version_key("1.2.3")
    assert version_key("1.2.3-rc.1") > version_key("1.2.2")
    assert version_key("1.x") < version_key("1.0")
    assert version_key("2026.11") < version_key("2026.11.1")


def test_release_tags_skip_prereleases_and_non_releases_and_ties_keep_their_order() -> None:
    tags = ["vnext", "v1.10.0-rc.1", "v01.2.3", "v1.2.3", "v1.10.0"]
    assert releases_highest_first(tags, "v{version}") == [
        ("v1.10.0", "1.10.0"),
        ("v01.2.3", "01.2.3"),
        ("v1.2.3", "1.2.3"),
    ]
    assert latest_release(["vnext"], "v{version}") is None

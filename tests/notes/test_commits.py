"""Conventional Commits parsing: type, scope, !, BREAKING CHANGE footer, PRs, footers."""

from __future__ import annotations

from trainmaster.notes.commits import parse_change


def test_header_scope_bang_and_pr() -> None:
    c = parse_change(
        "abc1234def", "feat(api)!: drop v1 endpoints (#123)", author="Ada", email="a@x"
    )
    assert (c.type, c.scope, c.breaking, c.description, c.prs) == (
        "feat",
        "api",
        True,
        "drop v1 endpoints",
        (123,),
    )
    assert c.breaking_note == "drop v1 endpoints"
    assert c.short == "abc1234"


def test_breaking_change_footer_and_multiline_value() -> None:
    c = parse_change(
        "1",
        "fix: tokens\n\nLonger body.\n\nBREAKING CHANGE: tokens expire\n  after one hour\nRefs #45",
    )
    assert c.breaking and c.breaking_note == "tokens expire after one hour"
    assert [(f.key, f.value) for f in c.footers] == [
        ("BREAKING CHANGE", "tokens expire after one hour"),
        ("Refs", "45"),
    ]
    assert parse_change("2", "fix: x\n\nBREAKING-CHANGE: also").breaking


def test_non_conventional_and_reverts_are_kept() -> None:
    merge = parse_change("3", "Merge pull request #77 from acme/topic\n\nAdd things")
    assert (merge.type, merge.conventional, merge.prs) == ("merge", False, (77,))
    revert = parse_change("4", 'Revert "feat: shiny"')
    assert (revert.type, revert.description) == ("revert", "feat: shiny")


def test_type_is_case_insensitive_and_spaces_tolerated() -> None:
    c = parse_change("5", "Feat(UI):   bigger buttons  (#9) (#10)")
    assert (c.type, c.scope, c.description, c.prs) == ("feat", "UI", "bigger buttons", (9, 10))


def test_flag_and_migration_footers() -> None:
    c = parse_change(
        "6",
        "feat: new checkout\n\nFlag: new-checkout default off -> on\nMigration: 0042_add_orders_index",
    )
    assert c.footer_values(frozenset({"flag"})) == ["new-checkout default off -> on"]
    assert c.footer_values(frozenset({"migration"})) == ["0042_add_orders_index"]


def test_a_colon_in_the_body_is_not_a_footer_unless_it_leads_a_paragraph() -> None:
    c = parse_change("7", "docs: readme\n\nThis explains: nothing special\nand more")
    assert c.footers == ()


def test_merge_commits_are_counted_not_listed() -> None:
    from trainmaster.notes.release import Context, Links, build_notes

    merge = parse_change("8", "Merge branch 'main' into topic")
    pull = parse_change("9", "Merge pull request #77 from acme/topic")
    assert (merge.type, pull.type, pull.prs) == ("merge", "merge", (77,))
    data = build_notes([merge, pull, parse_change("a", "fix: x", author="Ada")], Links(), Context())
    assert [s["key"] for s in data["sections"]] == ["fix"]
    assert data["counts"] == {"commits": 3, "listed": 1, "quiet": 2}


def test_co_authors_are_credited() -> None:
    from trainmaster.notes.release import Context, Links, build_notes

    c = parse_change(
        "b", "feat: pairing\n\nCo-authored-by: Bo Builder <bo@example.com>", author="Ada"
    )
    assert build_notes([c], Links(), Context())["authors"] == ["Ada", "Bo Builder"]

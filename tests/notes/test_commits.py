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


def test_a_revert_squash_merged_by_github_is_a_revert() -> None:
    """GitHub's "Revert" button opens a PR whose squash merge subject is git's revert subject
    plus " (#PR)"; the reverted commit's own number stays inside the quotes."""
    from trainmaster.notes.release import Context, Links, build_notes

    squashed = parse_change("c1", 'Revert "feat: shiny (#100)" (#123)')
    assert (squashed.type, squashed.description, squashed.prs) == (
        "revert",
        "feat: shiny",
        (100, 123),
    )
    plain = parse_change("c2", 'Revert "feat(api): shiny" (#124) (#125)')
    assert (plain.type, plain.description, plain.prs) == ("revert", "feat(api): shiny", (124, 125))
    git_style = parse_change("c3", 'Revert "fix: crash (#7)"')  # unchanged: the text as quoted
    assert (git_style.type, git_style.description) == ("revert", "fix: crash (#7)")
    not_quoted = parse_change("c4", "Revert feat: shiny (#126)")
    assert not_quoted.type == "other"
    data = build_notes([squashed, plain], Links(), Context())
    assert [s["key"] for s in data["sections"]] == ["revert"]


def test_a_byte_order_mark_stays_in_the_type_as_git_cliff_reads_it() -> None:
    """git-cliff 2.14.2 (its default parser) on "\\ufeffci(lint-staged): format JSON (#43597)"
    (a real renovatebot/renovate commit, 11239db): conventional, scope "lint-staged", message
    "format JSON", grouped under Other because no group's type matches "\\ufeffci". Here: listed
    under Other changes with the parsed scope and description, not hidden as a quiet `ci`."""
    c = parse_change("d1", "\ufeffci(lint-staged): format JSON (#43597)")
    assert (c.type, c.scope, c.description, c.prs) == (
        "other",
        "lint-staged",
        "format JSON",
        (43597,),
    )
    bang = parse_change("d2", "\ufefffeat!: drop v1")
    assert (bang.type, bang.breaking, bang.description) == ("other", True, "drop v1")
    assert (
        not c.conventional
        and parse_change("d3", "\ufeffjust text").description == "\ufeffjust text"
    )


def test_leading_whitespace_is_no_header_but_groups_by_its_type_as_git_cliff_does() -> None:
    """git-cliff 2.14.2: "  fix(ui)!: x" fails its Conventional Commits parser (no scope, no
    breaking flag; with `filter_unconventional = false` the message is the whole subject) while
    its `^fix` group matches the trimmed subject: listed under Bug Fixes. Here: the fix section,
    the whole trimmed subject as text, not breaking."""
    c = parse_change("e1", "  fix(ui)!: drop dialog (#5)")
    assert (c.type, c.scope, c.description, c.breaking, c.conventional, c.prs) == (
        "fix",
        None,
        "fix(ui)!: drop dialog",
        False,
        False,
        (5,),
    )
    tab = parse_change("e2", "\tperf: tab")
    assert (tab.type, tab.description) == ("perf", "perf: tab")
    assert parse_change("e3", "  Update docs").type == "other"
    assert parse_change("e4", "fix: trailing spaces   ").description == "trailing spaces"

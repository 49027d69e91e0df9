"""Grouping and rendering: the seed's post-release sections, Slack escaping, policy templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import PolicyError
from trainmaster.notes.commits import parse_change
from trainmaster.notes.compose import links_for, notes_text
from trainmaster.notes.release import Context, Links, build_notes
from trainmaster.notes.render import render

MESSAGES = [
    ("a" * 40, "feat(api): orders endpoint (#12)", "Ada"),
    ("b" * 40, "fix: empty carts (#13)", "Bo"),
    ("c" * 40, "perf(db): faster search", "Ada"),
    ("d" * 40, "chore(deps): bump x", "renovate[bot]"),
    ("e" * 40, "feat!: new auth\n\nBREAKING CHANGE: tokens expire", "Cy"),
    (
        "f" * 40,
        "feat: checkout\n\nFlag: new-checkout default off -> on\nMigration: 0042_orders",
        "Bo",
    ),
]


def changes():  # type: ignore[no-untyped-def]
    return [parse_change(sha, msg, author=who) for sha, msg, who in MESSAGES]


def test_sections_counts_and_authors() -> None:
    data = build_notes(
        changes(), Links("https://github.com/acme/maestro"), Context(version="1.2.0")
    )
    assert [s["key"] for s in data["sections"]] == ["breaking", "feat", "fix", "perf"]
    feat = data["sections"][1]["changes"]
    assert [c["description"] for c in feat] == ["orders endpoint", "new auth", "checkout"]
    assert feat[0]["prs"] == [{"number": 12, "url": "https://github.com/acme/maestro/pull/12"}]
    assert data["counts"] == {"commits": 6, "listed": 5, "quiet": 1}
    assert data["authors"][:2] == ["Ada", "Bo"]
    assert [f["flag"] for f in data["flags"]] == ["new-checkout default off -> on"]
    assert [m["migration"] for m in data["migrations"]] == ["0042_orders"]


def test_markdown_has_the_seed_sections_and_slo_status() -> None:
    context = Context(
        version="1.2.0",
        previous="v1.1.0",
        gates={"prod": {"error-rate": "pass", "burn-rate": "fail"}},
        incidents=["rollback prod by dave: p95"],
    )
    text = render(build_notes(changes(), Links("https://github.com/acme/maestro"), context))
    for heading in (
        "### New features",
        "### Fixes",
        "### Breaking changes",
        "### Performance",
        "### Flag default changes",
        "### Migrations executed",
        "### SLO status and incidents",
    ):
        assert heading in text
    assert "- **api:** orders endpoint ([#12](https://github.com/acme/maestro/pull/12))" in text
    assert "- prod: fail (error-rate pass, burn-rate fail)" in text
    assert "- incident: rollback prod by dave: p95" in text


def test_json_is_the_template_context() -> None:
    data = json.loads(render(build_notes(changes(), Links(), Context()), fmt="json"))
    assert data["sections"][0]["changes"][0]["breaking_note"] == "tokens expire"


def test_policy_templates_override(tmp_path: Path) -> None:
    (tmp_path / "mine.j2").write_text(
        "{{ version }}: {% for s in sections %}{{ s.title }};{% endfor %}"
    )
    text = seed_policy_text("acme", "maestro") + "  templates: {release.md: mine.j2}\n"
    policy = parse_policy(
        text.replace(
            "  templates: {}                        # e.g. {release.md: templates/notes.md.j2}\n",
            "",
        )
    )
    out = notes_text(policy, changes(), Context(version="1.2.0"), base_dir=tmp_path)
    assert out == "1.2.0: Breaking changes;New features;Fixes;Performance;\n"
    (tmp_path / "mine.j2").write_text("{{ nope.missing }}")
    with pytest.raises(PolicyError, match=r"notes template release\.md"):
        notes_text(policy, changes(), Context(), base_dir=tmp_path)


def test_links_from_the_github_settings() -> None:
    policy = parse_policy(seed_policy_text("acme", "maestro"))
    assert links_for(policy).pull(5) == "https://github.com/acme/maestro/pull/5"
    ghes = parse_policy(
        seed_policy_text("acme", "maestro").replace(
            "https://api.github.com", "https://ghe.corp/api/v3"
        )
    )
    assert links_for(ghes).commit("abc") == "https://ghe.corp/acme/maestro/commit/abc"
    assert links_for(parse_policy(seed_policy_text())).pull(1) == ""  # placeholder repo: no links


def test_announcement_sections() -> None:
    policy = parse_policy(seed_policy_text("acme", "maestro"))
    context = Context(
        version="1.2.0",
        owner="release-captain",
        pager="#maestro-oncall",
        previous_digest="ghcr.io/x@sha256:" + "0" * 64,
    )
    text = notes_text(policy, changes(), context, kind="announce")
    assert "**Impact:** 1 breaking, 3 new features, 1 fixes, 1 performance" in text
    assert "risk high" in text and "trainmaster rollback --env prod" in text
    assert "**Owner & on-call:** release-captain · #maestro-oncall" in text
    assert "- migration: 0042_orders" in text and "- flag: new-checkout default off -> on" in text
    slack = notes_text(policy, changes(), context, kind="announce", fmt="slack")
    assert slack.startswith("*Change announcement: 1.2.0*\n*Impact:* 1 breaking")

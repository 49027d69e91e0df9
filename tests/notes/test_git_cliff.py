"""Odd subjects grouped as git-cliff groups them: git-cliff 2.14.2 runs on the same repository.

git-cliff reads a subject with its Conventional Commits parser (git-conventional), then matches
its `commit_parsers` to choose a group. The configuration below is git-cliff's default
(`git-cliff --init`) reduced to the groups trainmaster lists, with `filter_unconventional = false`
so that it keeps every commit, as trainmaster does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from trainmaster.adapters.git.repo import GitRepo
from trainmaster.notes.commits import parse_change
from trainmaster.notes.release import Context, Links, build_notes

CLIFF_TOML = """
[changelog]
body = \"\"\"{% for group, commits in commits | group_by(attribute="group") %}\\
{% for c in commits %}{{ group }}|{{ c.scope | default(value="") }}|{{ c.message | trim }}
{% endfor %}{% endfor %}\"\"\"
trim = false

[git]
conventional_commits = true
filter_unconventional = false
commit_parsers = [
  { message = "^feat", group = "feat" },
  { message = "^fix", group = "fix" },
  { message = "^perf", group = "perf" },
  { message = ".*", group = "other" },
]
"""
SUBJECTS = (
    "feat(api): plain feature",
    "\ufeffci(lint-staged): format JSON on changes (#43597)",
    "\ufefffeat: a feature behind a byte-order mark",
    "  fix(ui): leading spaces",
    "\tperf: a leading tab",
    "   feat: three spaces",
    "Update the readme",
)


def _cliff() -> str:
    found = Path(sys.executable).with_name("git-cliff")
    return str(found) if found.exists() else shutil.which("git-cliff") or "git-cliff"


def _repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    for n, subject in enumerate(SUBJECTS):
        subprocess.run(
            ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.com", "commit", "-q",
             "--allow-empty", "--cleanup=verbatim", "-m", subject],
            cwd=path, check=True, env={"GIT_AUTHOR_DATE": f"2026-01-0{n + 1}T00:00:00Z",
                                       "GIT_COMMITTER_DATE": f"2026-01-0{n + 1}T00:00:00Z",
                                       "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
    (path / "cliff.toml").write_text(CLIFF_TOML, encoding="utf-8")
    return path


def test_groups_scopes_and_texts_match_git_cliff(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    done = subprocess.run(
        [_cliff(), "--config", "cliff.toml", "--strip", "all"],
        cwd=repo, capture_output=True, check=True, text=True,
    )  # fmt: skip
    # trainmaster takes a "(#123)" out of the text into the PR links: compare without it
    theirs = sorted(
        re.sub(r" \(#\d+\)$", "", line).split("|")
        for line in done.stdout.splitlines()
        if "|" in line
    )
    changes = [parse_change(c.sha, c.message) for c in GitRepo(repo).log(["HEAD"])]
    data = build_notes(changes, Links(), Context())
    ours = sorted(
        [section["key"], change["scope"] or "", change["description"]]
        for section in data["sections"]
        for change in section["changes"]
    )
    # git-cliff keeps a whitespace-led subject whole: the same text, trimmed, is ours
    assert ours == theirs
    assert ["other", "lint-staged", "format JSON on changes"] in ours  # the BOM stays in the type
    assert ["fix", "", "fix(ui): leading spaces"] in ours  # no header parsed, grouped as a fix

"""The demo's workspace: a git repository of the sample service with a Conventional Commit history.

The history is written in two parts, as a week of work would: what the first train ships, then,
after it has left, what the second train ships (including the regression).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

SERVICE_SOURCE = files("trainmaster.demo").joinpath("service", "app.py")


@dataclass(frozen=True)
class Commit:
    message: str
    author: str
    changes: dict[str, str]  # path -> new content


def _git(repo: Path, *args: str, author: str = "Alice Example <alice@example.com>") -> str:
    name, email = author[: author.index("<")].strip(), author[author.index("<") + 1 : -1]
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _apply(repo: Path, commit: Commit) -> None:
    for path, content in commit.changes.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        _git(repo, "add", path)
    _git(repo, "commit", "-q", "-m", commit.message, author=commit.author)


ALICE = "Alice Example <alice@example.com>"
BOB = "Bob Builder <bob@example.com>"
CAROL = "Carol Coder <carol@example.com>"


def _service(leak_every: int = 0) -> str:
    text = SERVICE_SOURCE.read_text(encoding="utf-8")
    knob = "LEAK_EVERY = 0  # 0: connections always go back to the pool"
    return text.replace(knob, knob.replace("= 0", f"= {leak_every}", 1))


def first_train_commits() -> list[Commit]:
    return [
        Commit("feat(orders): add the /orders endpoint (#12)", CAROL, {"app.py": _service()}),
        Commit(
            "fix(health): report the release in /healthz (#13)",
            BOB,
            {"CHANGELOG.md": "See the release notes of each train.\n"},
        ),
        Commit(
            "docs: describe how the release train runs (#14)",
            ALICE,
            {"README.md": "# maestro\n\nShipped weekly by trainmaster.\n"},
        ),
    ]


def second_train_commits() -> list[Commit]:
    return [
        Commit(
            "perf(db): reuse database connections across requests (#15)",
            CAROL,
            {"app.py": _service(leak_every=50)},
        ),
        Commit(
            "feat(orders): paginate the order listing (#16)",
            BOB,
            {"docs/orders.md": "Orders are listed 50 at a time.\n"},
        ),
    ]


def create_repository(repo: Path, policy_text: str) -> str:
    """A new repository whose first commit is the service already in production as v0.1.0."""
    repo.mkdir(parents=True, exist_ok=True)
    _git(repo, "init", "-q", "-b", "main")
    scaffold = _service().replace('    app.router.add_get("/orders", work)\n', "")
    _apply(
        repo,
        Commit(
            "chore: scaffold the maestro service",
            ALICE,
            {
                "app.py": scaffold,
                "trainmaster.yaml": policy_text,
                ".gitignore": ".trainmaster/\nevidence/\n__pycache__/\n",
            },
        ),
    )
    _git(repo, "tag", "-a", "v0.1.0", "-m", "v0.1.0", author=ALICE)
    return _git(repo, "rev-parse", "HEAD")


def add_commits(repo: Path, commits: list[Commit]) -> None:
    for commit in commits:
        _apply(repo, commit)

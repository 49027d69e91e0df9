"""A seed policy pointed at the emulator, with the org's teams and the release bot present."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.emulators.github.fixtures import GitHubEmulator
from trainmaster.config.seed import seed_policy_text

REPOS = ["acme/api", "acme/web"]


def seed_for(emulator_url: str, repos: list[str], tmp_path: Path) -> str:
    text = seed_policy_text()
    text = text.replace("repos:\n  - OWNER/REPO", "repos:\n" + "".join(f"  - {r}\n" for r in repos))
    text = text.replace("https://api.github.com      #", f"{emulator_url}      #")
    text = text.replace("sqlite:///.trainmaster/state.db", f"sqlite:///{tmp_path / 'state.db'}")
    return text


def populate(emulator: GitHubEmulator, repos: list[str]) -> None:
    for repo in repos:
        emulator.state.add_repo(repo)
    emulator.state.add_team("acme", "release-captains")
    emulator.state.add_team("acme", "sre")
    emulator.state.add_app("trainmaster-release-bot")


@pytest.fixture
def policy_file(github_emulator: GitHubEmulator, tmp_path: Path) -> Path:
    populate(github_emulator, REPOS)
    path = tmp_path / "trainmaster.yaml"
    path.write_text(seed_for(github_emulator.url, REPOS, tmp_path), encoding="utf-8")
    return path

"""Policies with and without role members, and a git project the CLI can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.train.fakes import FakeCluster, make_repo
from trainmaster.config import Policy, parse_policy
from trainmaster.config.seed import seed_policy_text


def seed_text(captains: list[str] | None = None, authorization: str = "") -> str:
    """The seed plan; `captains` fills the Release Captain's members (roles then in force)."""
    text = seed_policy_text("acme", "maestro").replace("forge: github", "forge: none")
    if captains is not None:
        text = text.replace(
            "    title: Release Captain\n    members: []",
            f"    title: Release Captain\n    members: [{', '.join(captains)}]",
        )
    return text + authorization


def policy_of(captains: list[str] | None = None, authorization: str = "") -> Policy:
    return parse_policy(seed_text(captains, authorization))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCluster:
    """A git repository with two commits since v1.0.0, the seed policy, a fake cluster."""
    make_repo(tmp_path, ["feat(api): orders (#12)", "fix: carts (#13)"])
    (tmp_path / "trainmaster.yaml").write_text(seed_text())
    (tmp_path / ".gitignore").write_text(".trainmaster/\ntrainmaster.yaml\n.gitignore\n")
    cluster = FakeCluster()
    from trainmaster.rollout import backends

    monkeypatch.setattr(backends, "cluster_for", lambda policy, base_dir=None, **_: cluster)
    return cluster


def write_policy(
    tmp_path: Path, captains: list[str] | None = None, authorization: str = ""
) -> None:
    (tmp_path / "trainmaster.yaml").write_text(seed_text(captains, authorization))

"""A seed policy, a real git repository and a train service wired to fakes, on both stores."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.train.fakes import Clock, FakeCluster, FakeForge, FakeVerifier, make_repo
from trainmaster.config import Policy, parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.store import Store
from trainmaster.train.rules import train_path
from trainmaster.train.service import TrainService

COMMITS = [
    "feat(api): add the orders endpoint (#12)",
    "fix: handle empty carts (#13)",
    "chore: bump deps",
]


@pytest.fixture
def policy() -> Policy:
    return parse_policy(seed_policy_text("acme", "maestro"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", COMMITS)


class Rig:
    def __init__(self, policy: Policy, store: Store, repo: Path) -> None:
        self.policy, self.store, self.repo = policy, store, repo
        self.clock = Clock()
        self.cluster = FakeCluster()
        self.forge = FakeForge()
        self.verifier = FakeVerifier(
            {name: list(policy.stages[name].gates) for name in train_path(policy)}
        )

    def service(self, actor: str = "captain", **kwargs: Any) -> TrainService:
        return TrainService(
            self.policy,
            self.store,
            self.repo,
            forge=kwargs.pop("forge", self.forge),
            cluster=kwargs.pop("cluster", self.cluster),
            verifier=self.verifier,
            clock=self.clock,
            actor=actor,
            **kwargs,
        )


@pytest.fixture
def rig(policy: Policy, store: Store, repo: Path) -> Rig:
    return Rig(policy, store, repo)


RigFactory = Callable[..., Rig]

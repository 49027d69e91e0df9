"""A watch's rollback through the train: the train service applies it, the cluster is only read."""

from __future__ import annotations

from typing import Any

import pytest

from trainmaster.rollout.port import RolloutState, Target
from trainmaster.train.watching import RollbackThroughTrain

TARGET = Target("prod", "maestro", "maestro")


class FakeService:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def rollback(self, stage: str, actor: str, reason: str, **kwargs: Any) -> None:
        self.calls.append((stage, actor, reason, kwargs))


class ReadOnlyCluster:
    def status(self, target: Target) -> RolloutState:
        return RolloutState(target, "Healthy", "repo@sha256:" + "b" * 64, None, 3, False)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the watch's cluster must not {name}: the train applies it")


def test_undo_and_abort_become_the_trains_rollback() -> None:
    service = FakeService()
    acting = RollbackThroughTrain(service, ReadOnlyCluster(), "v1.4.0", "watcher")  # type: ignore[arg-type]
    assert acting.status(TARGET).revision == 3
    acting.undo(TARGET)
    acting.abort(TARGET)
    assert [c[0] for c in service.calls] == ["prod", "prod"]
    assert all(c[1] == "watcher" and c[3] == {"train_id": "v1.4.0"} for c in service.calls)


def test_a_watch_never_deploys_promotes_or_pins() -> None:
    acting = RollbackThroughTrain(FakeService(), ReadOnlyCluster(), "v1.4.0", "w")  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError):
        acting.promote(TARGET)
    with pytest.raises(NotImplementedError):
        acting.deploy(TARGET, "repo@sha256:" + "c" * 64)

"""Route a watch's rollback through the train, so the train's state, effect journal and audit
record it: the watch decides, the train service applies (`rollback` → the cluster's undo)."""

from __future__ import annotations

from trainmaster.rollout.port import Cluster, RolloutState, Target
from trainmaster.train.service import TrainService


class RollbackThroughTrain:
    """A `Cluster` for `gates.watch.watch`: reads go to the cluster, undo and abort to the train."""

    def __init__(self, service: TrainService, cluster: Cluster, train_id: str, actor: str) -> None:
        self.service, self.cluster, self.train_id, self.actor = service, cluster, train_id, actor

    def status(self, target: Target) -> RolloutState:
        return self.cluster.status(target)

    def undo(self, target: Target, *, to_revision: int | None = None) -> None:
        self.service.rollback(
            target.stage,
            self.actor,
            "post-promotion watch: a rollback criterion failed",
            train_id=self.train_id,
        )

    def abort(self, target: Target) -> None:
        self.undo(target)

    def deploy(self, target: Target, image: str) -> None:
        raise NotImplementedError("a watch never deploys")

    def promote(self, target: Target, *, full: bool = False) -> None:
        raise NotImplementedError("a watch never promotes")

    def pin(self, target: Target, image: str) -> None:
        raise NotImplementedError("a watch never pins")

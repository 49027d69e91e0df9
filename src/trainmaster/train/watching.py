"""Route a watch's rollback through the train, so the train's state, effect journal and audit
record it: the watch decides, the rollback use case authorizes and applies it (→ the cluster)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainmaster.rollout.port import RolloutState, Target

if TYPE_CHECKING:
    from trainmaster.ports import Backends

WATCH_REASON = "post-promotion watch: a rollback criterion failed"


class RollbackThroughTrain:
    """A `Cluster` for `gates.watch.watch`: reads go to the cluster, undo and abort become the
    train's `rollback` use case, taken by `actor` (who must be allowed to roll back)."""

    def __init__(self, backends: Backends, train_id: str, actor: str) -> None:
        self.backends, self.train_id, self.actor = backends, train_id, actor

    def status(self, target: Target) -> RolloutState:
        return self.backends.cluster.status(target)

    def undo(self, target: Target, *, to_revision: int | None = None) -> None:
        from trainmaster.train.use_cases import RollbackInput, rollback

        request = RollbackInput(self.actor, target.stage, WATCH_REASON, train=self.train_id)
        rollback(self.backends, request)

    def abort(self, target: Target) -> None:
        self.undo(target)

    def deploy(self, target: Target, image: str) -> None:
        raise NotImplementedError("a watch never deploys")

    def promote(self, target: Target, *, full: bool = False) -> None:
        raise NotImplementedError("a watch never promotes")

    def pin(self, target: Target, image: str) -> None:
        raise NotImplementedError("a watch never pins")

    def close(self) -> None:
        """The cluster belongs to the backends it was read from."""

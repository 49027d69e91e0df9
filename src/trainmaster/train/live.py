"""What the cluster says now, read before deciding: the rollout target of a stage, and whether
the preview colour still holds this train's digest when trains overlap on a stage."""

from __future__ import annotations

from trainmaster.config.model import Policy
from trainmaster.errors import ConflictError
from trainmaster.rollout.port import Cluster, Target
from trainmaster.train.model import StageStatus, TrainState


def target_for(policy: Policy, stage: str) -> Target:
    """The rollout target of a stage (the rollout feature decides namespace and name)."""
    from trainmaster.rollout.backends import target_for as rollout_target

    return rollout_target(policy, stage)


def check_preview(state: TrainState, stage: str, cluster: Cluster, policy: Policy) -> None:
    """Refuse to promote a preview colour another train's deploy replaced since this one was
    verified (a hotfix deployed to the same stage, say)."""
    view = state.stage(stage)
    if not state.rule(stage).blue_green:
        return
    if view.status is not StageStatus.AWAITING_APPROVAL or view.digest != state.digest:
        return  # the machine explains what is wrong with the stage itself
    live = cluster.status(target_for(policy, stage))
    if state.digest not in (live.preview, live.stable):
        raise ConflictError(
            f"{stage} now holds {live.preview or live.stable}, not {state.digest} "
            f"(another train deployed there since); deploy {state.id} again"
        )

"""A re-run deploy job (GitHub Actions "re-run failed jobs") finds its work done: deploying the
digest a stage already runs changes nothing, so verdicts and approvals survive."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.train.fakes import DIGEST_B
from tests.train.test_rules import T0, approved, awaiting_prod
from trainmaster.train.machine import next_state
from trainmaster.train.model import Deploy, StageStatus


@pytest.mark.parametrize(
    "status",
    [
        StageStatus.VERIFYING,
        StageStatus.AWAITING_APPROVAL,
        StageStatus.PROMOTED,
        StageStatus.FAILED,
    ],
)
def test_deploying_the_running_digest_again_is_a_no_op(status: StageStatus) -> None:
    state = approved(awaiting_prod(), "alice")
    state = replace(state, stages=(state.stages[0], replace(state.stages[1], status=status)))
    done = next_state(state, Deploy("prod", "bob", T0))
    assert done.state == state
    assert done.actions == ()
    assert done.audit == ""


def test_another_digest_or_a_rolled_back_stage_is_deployed() -> None:
    state = awaiting_prod()
    other = replace(state, stages=(state.stages[0], replace(state.stages[1], digest=DIGEST_B)))
    assert next_state(other, Deploy("prod", "bob", T0)).actions
    back = replace(
        state, stages=(state.stages[0], replace(state.stages[1], status=StageStatus.ROLLED_BACK))
    )
    moved = next_state(back, Deploy("prod", "bob", T0))
    assert moved.state.stage("prod").status is StageStatus.DEPLOYING
    assert moved.state.stage("prod").attempt == 2

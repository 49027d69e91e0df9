"""The protection-rule verdict over data: each rule that holds, rejects or approves, pinned."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from trainmaster.github_app.protection import MAX_COMMENT, Answer, decide
from trainmaster.train.model import (
    ApprovalRecord,
    StageRules,
    StageStatus,
    StageView,
    TrainState,
    TrainStatus,
)

NOW = datetime(2026, 11, 5, 18, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(hours=6)
DIGEST = "sha256:" + "a" * 64
SHA = "c" * 40
RULES = (
    StageRules("stage", ("smoke",), quorum=1),
    StageRules("prod", ("error-rate", "p95"), quorum=2, wait=timedelta(minutes=10),
               previous="stage"),
)  # fmt: skip


def approval(who: str, digest: str = DIGEST) -> ApprovalRecord:
    return ApprovalRecord(who, "fine", digest, NOW - timedelta(hours=1))


def train(**prod: object) -> TrainState:
    stage = StageView("stage", StageStatus.PROMOTED, digest=DIGEST)
    view = StageView(
        "prod",
        StageStatus.AWAITING_APPROVAL,
        digest=DIGEST,
        gates_passed_at=NOW - timedelta(hours=1),
        gate_verdicts=(("error-rate", "pass"), ("p95", "pass")),
        approvals=(approval("alice"), approval("bob")),
    )
    view = replace(view, **prod)  # type: ignore[arg-type]
    return TrainState("v1.2.0", "scheduled", "1.2.0", "captain", TrainStatus.OPEN, DIGEST, 3,
                      RULES, (stage, view))  # fmt: skip


def test_every_rule_met_is_approved() -> None:
    verdict = decide(train(), "prod", SHA, NOW, DEADLINE)
    assert verdict.answer is Answer.APPROVED and verdict.reasons == ()
    assert verdict.comment("prod").startswith("trainmaster approved prod (train v1.2.0)")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"status": StageStatus.VERIFYING}, "prod has not passed verification"),
        ({"approvals": (approval("alice"),)}, "approvals: 1 of 2"),
        ({"approvals": (approval("alice"), approval("alice"))}, "approvals: 1 of 2"),
        ({"approvals": (approval("alice"), approval("captain"))}, "approvals: 1 of 2"),
        ({"approvals": (approval("alice"), approval("bob", "sha256:" + "b" * 64))}, "1 of 2"),
        ({"gates_passed_at": NOW - timedelta(minutes=3)}, "wait timer: 7m00s left"),
        ({"gate_verdicts": (("error-rate", "pass"),)}, "p95=not run"),
    ],
)
def test_a_rule_that_can_still_be_met_holds_the_run(
    change: dict[str, object], expected: str
) -> None:
    verdict = decide(train(**change), "prod", SHA, NOW, DEADLINE)
    assert verdict.answer is Answer.WAIT
    assert any(expected in reason for reason in verdict.reasons), verdict.reasons


def test_past_the_deadline_a_held_run_is_rejected_with_its_reasons() -> None:
    verdict = decide(train(approvals=()), "prod", SHA, DEADLINE, DEADLINE)
    assert verdict.answer is Answer.REJECTED
    assert "deadline" in verdict.reasons[0] and "approvals: 0 of 2" in verdict.reasons[1]


def test_past_the_deadline_even_a_met_run_is_rejected_not_approved_late() -> None:
    assert decide(train(), "prod", SHA, DEADLINE, DEADLINE).answer is Answer.REJECTED


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (train(gate_verdicts=(("error-rate", "fail"), ("p95", "pass"))), "gate error-rate failed"),
        (train(status=StageStatus.FAILED), "prod is failed"),
        (train(status=StageStatus.ROLLED_BACK), "prod is rolled_back"),
        (replace(train(), status=TrainStatus.ABORTED), "train v1.2.0 is aborted"),
        (None, "no train was cut from commit cccccccccccc"),
    ],
)
def test_what_cannot_be_met_any_more_is_rejected_now(
    state: TrainState | None, expected: str
) -> None:
    verdict = decide(state, "prod", SHA, NOW, DEADLINE)
    assert verdict.answer is Answer.REJECTED
    assert expected in verdict.reasons[0]


def test_an_environment_off_the_trains_path_is_rejected() -> None:
    verdict = decide(train(), "qa", SHA, NOW, DEADLINE)
    assert verdict.answer is Answer.REJECTED
    assert verdict.reasons == (
        "environment qa is not a stage on train v1.2.0's path (stage, prod)",
    )


def test_the_previous_stage_must_be_promoted_with_this_digest() -> None:
    state = train()
    state = replace(state, stages=(StageView("stage", StageStatus.AWAITING_APPROVAL,
                                             digest=DIGEST), state.stage("prod")))  # fmt: skip
    verdict = decide(state, "prod", SHA, NOW, DEADLINE)
    assert verdict.answer is Answer.WAIT
    assert "stage must be promoted with this digest before prod" in verdict.reasons


def test_a_freeze_holds_the_run() -> None:
    state = replace(train(), frozen="year-end: change freeze")
    verdict = decide(state, "prod", SHA, NOW, DEADLINE)
    assert verdict.answer is Answer.WAIT
    assert verdict.reasons == ("freeze window in force: year-end: change freeze",)


def test_the_comment_lists_every_reason_and_is_bounded() -> None:
    state = train(approvals=(), gate_verdicts=(("error-rate", "fail"),))
    comment = decide(state, "prod", SHA, NOW, DEADLINE).comment("prod")
    assert "- gate error-rate failed" in comment and "- approvals: 0 of 2" in comment
    long = decide(None, "prod", "x" * 5000, NOW, DEADLINE)
    assert len(replace(long, reasons=("r" * 5000,)).comment("prod")) == MAX_COMMENT

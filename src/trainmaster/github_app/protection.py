"""The answer to a custom deployment protection rule: may this workflow job enter the
environment (a stage) with this commit? Pure: the train's state, the time and the deadline in,
`approved`, `rejected` or `wait` out, with every unmet rule.

The rules are the train's own promotion guards (order, gates, quorum, wait timer, freeze), so
GitHub's environment and `trainmaster promote` can never disagree. The role guard is left out:
GitHub, not a person, is asking. A rule that can still be met (gates running, approvals to come,
the wait timer) means `wait`; a failed gate, a failed or rolled-back stage, an aborted train or
no train at all means `rejected`; past the deadline every `wait` becomes `rejected`. Nothing is
ever approved by default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from trainmaster.train.approvals import (
    freeze_blocker,
    gates_blocker,
    order_blocker,
    promotion_blockers,
    quorum_blocker,
    wait_blocker,
)
from trainmaster.train.model import StageStatus, TrainState, TrainStatus

# GitHub waits 30 days for an App's answer; without a policy setting we answer within 6 hours,
# a working day's promotion window, so a forgotten run does not hold its runner for a month.
DEADLINE = timedelta(hours=6)
MAX_COMMENT = 1000  # GitHub shows the comment on the run; a list of rules fits well within this
GUARDS = (order_blocker, gates_blocker, quorum_blocker, wait_blocker, freeze_blocker)
ENDED_TRAIN = frozenset({TrainStatus.ABORTED, TrainStatus.ROLLED_BACK})
ENDED_STAGE = frozenset({StageStatus.FAILED, StageStatus.ROLLED_BACK, StageStatus.ABORTED})


class Answer(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    WAIT = "wait"


@dataclass(frozen=True)
class Verdict:
    answer: Answer
    reasons: tuple[str, ...]
    train: str | None = None

    def comment(self, environment: str) -> str:
        which = f"train {self.train}" if self.train else "no train"
        head = f"trainmaster {self.answer.value} {environment} ({which})"
        if not self.reasons:
            text = f"{head}: every gate passed and the approval quorum is met."
        else:
            text = head + ":\n" + "\n".join(f"- {reason}" for reason in self.reasons)
        return text if len(text) <= MAX_COMMENT else text[: MAX_COMMENT - 1] + "…"


def decide(
    state: TrainState | None, environment: str, sha: str, now: datetime, deadline: datetime
) -> Verdict:
    if state is None:
        return Verdict(Answer.REJECTED, (f"no train was cut from commit {sha[:12]}",))
    if environment not in {rule.name for rule in state.rules}:
        path = ", ".join(rule.name for rule in state.rules)
        reason = f"environment {environment} is not a stage on train {state.id}'s path ({path})"
        return Verdict(Answer.REJECTED, (reason,), state.id)
    view = state.stage(environment)
    failed = [gate for gate, verdict in view.gate_verdicts if verdict == "fail"]
    reasons = [f"gate {gate} failed for this digest" for gate in failed]
    reasons += promotion_blockers(state, state.rule(environment), "", now, GUARDS)
    if state.status in ENDED_TRAIN:
        reasons.insert(0, f"train {state.id} is {state.status.value}")
    elif view.status in ENDED_STAGE:
        reasons.insert(0, f"{environment} is {view.status.value}")
    if failed or state.status in ENDED_TRAIN or view.status in ENDED_STAGE:
        return Verdict(Answer.REJECTED, tuple(reasons), state.id)
    if now >= deadline:
        late = f"no answer could be given before the deadline {deadline.isoformat()}"
        return Verdict(Answer.REJECTED, (late, *reasons), state.id)
    if reasons:
        return Verdict(Answer.WAIT, tuple(reasons), state.id)
    return Verdict(Answer.APPROVED, (), state.id)

"""A sample of every event, built by the same code as real ones, for `notify test`."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from trainmaster.config.model import Policy
from trainmaster.config.notify import EVENT_TYPES
from trainmaster.notify.events import Cause, Facts, event_for
from trainmaster.train.model import (
    ApprovalRecord,
    StageRules,
    StageStatus,
    StageView,
    TrainState,
    TrainStatus,
)
from trainmaster.train.rules import stage_rules

GOOD = "sha256:" + "1" * 64
PREVIOUS = "sha256:" + "0" * 64


def sample_events(policy: Policy, at: datetime | None = None) -> list[dict[str, Any]]:
    when = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    rules = stage_rules(policy, "scheduled") or (StageRules("prod", (), quorum=1),)
    last = rules[-1].name
    view = StageView(
        last,
        StageStatus.AWAITING_APPROVAL,
        attempt=1,
        digest=GOOD,
        approvals=(ApprovalRecord("alice", "gates green", GOOD, datetime.now(UTC)),),
        previous_digest=PREVIOUS,
        promoted_by="release-captain",
    )
    train = TrainState(
        "v0.0.0-sample", "scheduled", "0.0.0-sample", "release-captain", TrainStatus.OPEN, GOOD, 1,
        rules, (view,),
    )  # fmt: skip
    facts = Facts(
        project=policy.project.name,
        owner=policy.project.owner,
        pager=policy.project.pager,
        train=train,
        tag="v0.0.0-sample",
        branch="release/0.0.0-sample",
        notes="## Fixes\n- a sample fix (#1)\n",
        gates={"error-rate": {"verdict": "fail", "value": 0.031, "threshold": 0.02,
                              "reason": "error rate 3.1% > 2% over 5m"}},
        announcement={"impact": {"fix": 1}, "risk": "low", "migrations": [], "flags": [],
                      "rollback": {"command": "trainmaster rollback --env prod --reason '<why>'",
                                   "to_digest": PREVIOUS},
                      "text": "## Change announcement: a sample\n"},
        link=None,
    )  # fmt: skip
    out = []
    for i, kind in enumerate(EVENT_TYPES):
        cause = Cause(
            seq=-(i + 1),
            at=when,
            actor="trainmaster notify test",
            action="notify.test",
            target=f"train/{train.id}/{last}",
            reason="a sample event: `trainmaster notify test`",
            payload={"repos": ["acme/sample"], "commits": 1},
        )
        event = event_for(kind, cause, facts)
        # Fresh ids: a receiver that keeps webhook-ids must not drop the next test as a repeat.
        event["id"] = f"evt_test_{secrets.token_hex(10)}"
        out.append(event)
    return out

"""The report's bottom line: promotions, rollbacks, gate verdicts and approval quorums."""

from __future__ import annotations

from datetime import UTC, datetime

from trainmaster.audit.chain import GENESIS, seal
from trainmaster.evidence.record import (
    Approval,
    AuditExcerpt,
    GateResult,
    TrainInfo,
    TrainRecord,
)
from trainmaster.evidence.summary import summary_lines

AT = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)


def _record() -> TrainRecord:
    train = TrainInfo(
        "v2.0.0",
        "hotfix",
        "2.0.0",
        "rolled_back",
        "hotfix/2.0.0",
        "v2.0.0",
        "abc",
        "sha256:" + "1" * 64,
        "alice",
        "",
        {},
        AT,
        AT,
    )
    first = seal(
        seq=1,
        at="2026-11-26T18:00:00Z",
        actor="bob",
        action="train.promoted",
        target="train/v2.0.0/prod",
        reason="",
        payload={},
        prev=GENESIS,
    )
    second = seal(
        seq=2,
        at="2026-11-26T19:00:00Z",
        actor="dave",
        action="rollback",
        target="train/v2.0.0/prod",
        reason="p95 regression",
        payload={},
        prev=first.hash,
    )
    gates = (
        GateResult(1, "prod", "p95", "fail", None, {}, AT),
        GateResult(2, "prod", "errors", "pass", None, {}, AT),
    )
    approvals = (
        Approval("prod", "d", "carol", "ok", False, AT),
        Approval("prod", "d", "erin", "ok", True, AT),
    )
    return TrainRecord(
        train, (), gates, approvals, AuditExcerpt(GENESIS, (first, second), frozenset({1, 2}))
    )


def test_summary_flags_failed_gates_and_an_unmet_quorum() -> None:
    text = "\n".join(summary_lines(_record(), {"prod": 2, "stage": 1}, gaps=3))
    assert "state: **rolled_back**" in text
    assert "promoted: prod by bob" in text  # the machine's event stands in
    assert 'rolled back: prod by dave at 2026-11-26T19:00:00Z — "p95 regression"' in text
    assert "gates: 1 fail, 1 pass — **not all passed**" in text
    assert "approvals for prod: carol (1 of 2 required: **NOT met**)" in text  # erin revoked
    assert "approvals for stage: nobody (0 of 1 required: **NOT met**)" in text
    assert "gaps in this evidence: 3" in text

"""A gate result has one JSON shape in the store, whether `gate run` or `train verify` wrote it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from trainmaster.gates.result import GateReport, SignalResult
from trainmaster.gates.service import record_report
from trainmaster.gates.verdict import Verdict
from trainmaster.store import Store
from trainmaster.store.models import GateResultRow
from trainmaster.train.records import record_gate_results

AT = datetime(2026, 11, 5, 18, 0, tzinfo=UTC)


def test_train_verify_and_gate_run_store_the_same_evidence(store: Store) -> None:
    signal = SignalResult(
        "error-rate", Verdict.FAIL, "5% > 2% over 5m", "window", 0.05, 0.02, ">", "5m",
        query="sum(rate(errors[5m]))", points=((1.0, 0.05),),
    )  # fmt: skip
    with store.transaction() as session:
        record_report(session, GateReport("prod", AT, [signal]), "v1.4.0", "prod", "sha256:a")
        rows = [(signal.name, signal.verdict.value, signal.to_json())]
        record_gate_results(session, "v1.4.0", "prod", "sha256:a", rows, AT)
    with store.transaction() as session:
        found = session.execute(select(GateResultRow)).scalars().all()
        stored = [(r.gate, r.verdict, r.evidence) for r in found]
    assert len(stored) == 2 and stored[0] == stored[1]

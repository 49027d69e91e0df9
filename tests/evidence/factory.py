"""A train from a test run, written through the store models as the train service would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trainmaster.audit.log import append_event
from trainmaster.store import Store
from trainmaster.store.models import ApprovalRow, GateResultRow, StageRunRow, TrainRow

CUT = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
DIGEST = "sha256:" + "ab" * 32


def _at(minutes: int) -> str:
    return (CUT + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def points(start: datetime, values: list[float]) -> list[list[float]]:
    return [[start.timestamp() + 30 * i, v] for i, v in enumerate(values)]


def seed_train(store: Store, train_id: str = "v1.4.0") -> None:
    with store.transaction() as s:
        append_event(
            s,
            actor="ci",
            action="governance.apply",
            target="acme/maestro",
            reason="before the train",
            at=_at(-10),
        )
        s.add(
            TrainRow(
                id=train_id,
                kind="scheduled",
                version=train_id[1:],
                state="promoted",
                branch=f"release/{train_id[1:]}",
                tag=train_id,
                commit_sha="c0ffee" * 6 + "abcd",
                digest=DIGEST,
                author="alice",
                notes="Fixes",
                created_at=CUT,
                updated_at=CUT,
                data=json.dumps({"governance": {"drift": [], "plan": ["ok"]}, "future_field": 1}),
            )
        )
        s.flush()
        append_event(
            s,
            actor="alice",
            action="train.cut",
            target=train_id,
            reason="weekly train",
            payload={"digest": DIGEST},
            at=_at(0),
        )
        for i, stage in enumerate(["stage", "prod"]):
            s.add(
                StageRunRow(
                    train_id=train_id,
                    stage=stage,
                    attempt=1,
                    state="done",
                    digest=DIGEST,
                    data="{}",
                    started_at=CUT + timedelta(hours=i + 1),
                    updated_at=CUT + timedelta(hours=i + 1),
                )
            )
        evidence = {
            "verdict": "pass",
            "evaluated_at": _at(50),
            "unknown_future_key": {"x": 1},
            "signals": [
                {
                    "name": "p95-latency",
                    "verdict": "pass",
                    "value": 0.42,
                    "threshold": 1.5,
                    "window": "5m",
                    "breach_started_at": None,
                    "query": "histogram_quantile(...)",
                    "reason": "below threshold",
                    "points": points(CUT, [0.4, 0.41, 0.45, 0.42]),
                },
                {"name": "error-rate", "verdict": "pass", "value": 0.001, "threshold": 0.02},
            ],
        }
        s.add(
            GateResultRow(
                train_id=train_id,
                stage="stage",
                digest=DIGEST,
                gate="rollout-gate",
                verdict="pass",
                evidence=json.dumps(evidence),
                evaluated_at=CUT + timedelta(minutes=50),
            )
        )
        s.add(
            GateResultRow(
                train_id=train_id,
                stage="stage",
                digest=DIGEST,
                gate="smoke",
                verdict="pass",
                evidence="not json at all",
                evaluated_at=CUT + timedelta(minutes=40),
            )
        )
        # The shape gates/service.py stores: one signal per row, RFC 3339 times, NaN as text.
        single = {
            "name": "error-rate",
            "verdict": "pass",
            "value": 0.004,
            "threshold": 0.02,
            "window": "5m",
            "query": "sum(rate(errors[5m]))",
            "kind": "window",
            "points": [[_at(61), 0.003], [_at(62), "nan"], [_at(63), 0.004]],
        }
        s.add(
            GateResultRow(
                train_id=train_id,
                stage="prod",
                digest=DIGEST,
                gate="error-rate",
                verdict="pass",
                evidence=json.dumps(single),
                evaluated_at=CUT + timedelta(minutes=63),
            )
        )
        for who, why in [("bob", "gates green | canary fine"), ("carol", "reviewed the diff")]:
            s.add(
                ApprovalRow(
                    train_id=train_id,
                    stage="prod",
                    digest=DIGEST,
                    approver=who,
                    reason=why,
                    created_at=CUT + timedelta(minutes=90),
                )
            )
            append_event(
                s, actor=who, action="approve", target=f"{train_id}/prod", reason=why, at=_at(90)
            )
        append_event(s, actor="ci", action="other.thing", target="v1.4.01", at=_at(95))
        append_event(
            s,
            actor="alice",
            action="promote",
            target=f"{train_id}/prod",
            reason="quorum met",
            at=_at(120),
        )


def write_junit(path: Path, failures: int = 0) -> Path:
    path.write_text(
        '<?xml version="1.0"?><testsuites><testsuite name="unit" tests="12" '
        f'failures="{failures}" errors="0" skipped="1"></testsuite></testsuites>'
    )
    return path


def write_sbom(path: Path) -> Path:
    path.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "version": 1,
                "components": [{"type": "library", "name": "httpx", "version": "0.27.0"}],
            }
        )
    )
    return path

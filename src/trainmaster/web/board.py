"""The board: every train in its lane (scheduled or hotfix) and the stage it has reached, the
next cuts per the schedule, and the freezes. Two queries, whatever the number of trains."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from trainmaster.config.model import Policy
from trainmaster.store import Store
from trainmaster.store.models import StageRunRow, TrainRow
from trainmaster.train.rules import train_path

LANES = ("scheduled", "hotfix")
DONE = "done"  # the column of trains that left the path: released, rolled back or aborted
ENDED = frozenset({"released", "rolled_back", "aborted"})
NEXT_CUTS = 3
DONE_SHOWN = 20  # newest finished trains per lane; the rest is history (train list, audit)


def reached(stages: list[str], runs: dict[str, str]) -> str:
    """The furthest stage of `stages` a train has a run on ('' before the first)."""
    found = ""
    for name in stages:
        if name in runs:
            found = name
    return found


def column_of(status: str, stages: list[str], runs: dict[str, str]) -> str:
    if status in ENDED:
        return DONE
    return reached(stages, runs) or "cut"


def board(policy: Policy, store: Store, now: datetime) -> dict[str, Any]:
    stages = train_path(policy)
    columns = ["cut", *stages, DONE]
    with store.transaction() as session:
        trains = session.execute(
            select(
                TrainRow.id, TrainRow.kind, TrainRow.state, TrainRow.author, TrainRow.created_at
            ).order_by(TrainRow.created_at.desc())
        ).all()
        latest: dict[str, dict[str, str]] = {}
        for train_id, stage, state in session.execute(
            select(StageRunRow.train_id, StageRunRow.stage, StageRunRow.state).order_by(
                StageRunRow.attempt
            )
        ):
            latest.setdefault(train_id, {})[stage] = state
    lanes: dict[str, dict[str, list[dict[str, Any]]]] = {
        lane: {c: [] for c in columns} for lane in LANES
    }
    older: dict[str, int] = dict.fromkeys(LANES, 0)
    for train_id, kind, state, author, created in trains:  # newest first
        runs = latest.get(train_id, {})
        column = column_of(state, stages, runs)
        if kind not in lanes:
            lanes[kind], older[kind] = {c: [] for c in columns}, 0
        if column == DONE and len(lanes[kind][DONE]) >= DONE_SHOWN:
            older[kind] += 1
            continue
        card = {
            "train": train_id,
            "status": state,
            "stage_status": runs.get(column, state),
            "author": author,
            "created_at": created.isoformat(),
        }
        lanes[kind][column].append(card)
    return {
        "columns": columns,
        "lanes": lanes,
        "older_done": older,
        "next_cuts": _next_cuts(policy, now),
        "freezes": [
            {"name": f.name, "reason": f.reason, "when": _when(f)} for f in policy.train.freeze
        ],
    }


def _next_cuts(policy: Policy, now: datetime) -> list[dict[str, str]]:
    from trainmaster.train.schedule import upcoming

    return [cut.as_dict() for cut in upcoming(policy.train, now, NEXT_CUTS)]


def _when(freeze: Any) -> str:
    if freeze.rrule:
        return f"{freeze.rrule} for {freeze.duration}"
    return f"{freeze.start} to {freeze.end}"

"""Where a stage rollback goes: the stage's last known-good digest, decided from its history.

Purely computational: stored records in, a `RollbackDecision` out. The rule, precisely:

- Evidence about a digest on a stage comes from its records, each with an instant:
  - a post-promotion watch that completed `passed` (every criterion held for the whole watch):
    good, at the watch's end; a watch that `rolled_back` or `failed`: bad, at its end;
  - a train's run on the stage that was rolled back (`rolling_back`, `rolled_back`): its digest
    bad and the digest the rollback pinned good, at its last update — a rollback is a verdict
    on what it removed and on what it chose (so `rollback --to D` then `rollback` stays on D);
  - what served the stage when a train was deployed there (that run's `previous_digest`): good,
    at that run's start — for the first train on the stage (the baseline trainmaster found),
    and on a stage without a watch in the policy for every train, where "its whole watch" is
    its whole time serving, which ends when the next release replaces it.
- A digest is known good when its latest evidence is good; the last known-good digest is the
  one whose good evidence is the newest. A digest watched bad stays bad until a later watch of
  it passes, so a rollback never brings back the release that was just rolled back.
- `rollback` goes there (or to `--to DIGEST`) unless the stage already serves it with no other
  colour pending: then there is nothing to do, which makes a second rollback a no-op rather
  than one more step back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from trainmaster.errors import UsageError

GOOD_WATCH = frozenset({"passed"})
BAD_WATCH = frozenset({"rolled_back", "failed"})
ROLLED_BACK_RUN = frozenset({"rolling_back", "rolled_back"})


@dataclass(frozen=True)
class WatchRecord:
    """One post-promotion watch of the stage (table gate_watches)."""

    image: str
    status: str  # running | rolling_back | passed | inconclusive | rolled_back | failed
    finished_at: datetime


@dataclass(frozen=True)
class StageRecord:
    """One train's run on the stage (table stage_runs)."""

    train_id: str
    digest: str | None
    status: str
    previous_digest: str | None
    started_at: datetime
    updated_at: datetime
    rolled_back_to: str | None = None  # the digest the rollback recorded on this run pinned


@dataclass(frozen=True)
class History:
    stage: str
    watched: bool  # the policy has a post-promotion watch for this stage
    watches: tuple[WatchRecord, ...] = ()
    runs: tuple[StageRecord, ...] = ()


@dataclass(frozen=True)
class Evidence:
    at: datetime
    digest: str
    good: bool
    why: str


@dataclass(frozen=True)
class RollbackDecision:
    target: str | None  # the digest to pin; None: nothing to do
    replaced: str | None  # the digest that leaves the stage
    train_id: str | None  # the train whose release leaves (the one rolled back)
    why: str  # where the target comes from, or why nothing is done


def evidence(history: History) -> list[Evidence]:
    found = [
        Evidence(w.finished_at, w.image, w.status in GOOD_WATCH, _watch_why(w.status))
        for w in history.watches
        if w.status in GOOD_WATCH | BAD_WATCH
    ]
    rollbacks = [r for r in history.runs if r.status in ROLLED_BACK_RUN]
    found += [
        Evidence(r.updated_at, r.digest, False, f"train {r.train_id} was rolled back from it")
        for r in rollbacks
        if r.digest
    ]
    found += [
        Evidence(r.updated_at, r.rolled_back_to, True, "the target of the latest rollback")
        for r in rollbacks
        if r.rolled_back_to and r.rolled_back_to != r.digest
    ]
    ordered = sorted(history.runs, key=lambda r: r.started_at)
    replaced = ordered if not history.watched else ordered[:1]
    found += [
        Evidence(r.started_at, r.previous_digest, True, f"served {history.stage} until train "
                 f"{r.train_id} replaced it")
        for r in replaced
        if r.previous_digest
    ]  # fmt: skip
    return found


def _watch_why(status: str) -> str:
    if status in GOOD_WATCH:
        return "held every criterion for its whole watch"
    return f"its watch {status.replace('_', ' ')}"


def last_known_good(history: History) -> Evidence | None:
    latest: dict[str, Evidence] = {}
    for item in sorted(evidence(history), key=lambda e: (e.at, not e.good)):
        latest[item.digest] = item  # later evidence wins; at the same instant, bad wins
    good = [e for e in latest.values() if e.good]
    return max(good, key=lambda e: e.at, default=None)


def decide(
    history: History, stable: str | None, preview: str | None, to_digest: str | None = None
) -> RollbackDecision:
    """The rollback of `history.stage`, which serves `stable` (and may preview `preview`)."""
    if to_digest:
        target, why = to_digest, "given with --to"
    else:
        found = last_known_good(history)
        if found is None:
            raise UsageError(
                f"no known-good digest for {history.stage}: no release has held its criteria "
                "for a whole watch there yet; give --to DIGEST"
            )
        target, why = found.digest, f"last known good: {found.why}"
    if stable == target and preview in (None, target):
        return RollbackDecision(
            None, None, _train_of(history, stable), f"{history.stage} already runs {target} "
            f"({why}): nothing to roll back"
        )  # fmt: skip
    replaced = preview if preview not in (None, target) else stable
    return RollbackDecision(target, replaced, _train_of(history, replaced), why)


def _train_of(history: History, digest: str | None) -> str | None:
    """The train that brought `digest` to the stage most recently."""
    runs = [r for r in history.runs if digest and r.digest == digest]
    newest = max(runs, key=lambda r: (r.started_at, r.updated_at), default=None)
    return newest.train_id if newest else None

"""The last known-good digest, decided from records: each rule of known_good.py pinned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trainmaster.errors import UsageError
from trainmaster.train.known_good import (
    History,
    StageRecord,
    WatchRecord,
    decide,
    last_known_good,
)

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
BASE, GOOD, BAD, NEWER = (f"repo@sha256:{c * 64}" for c in "0abc")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def run(train: str, digest: str, status: str, start: int, prev: str | None = None) -> StageRecord:
    return StageRecord(train, digest, status, prev, at(start), at(start + 5))


# The story on a watched prod: train 1 (GOOD) passes its watch; train 2 (BAD) is rolled
# back by its watch.
STORY = History(
    "prod",
    watched=True,
    watches=(WatchRecord(GOOD, "passed", at(40)), WatchRecord(BAD, "rolled_back", at(80))),
    runs=(run("v1", GOOD, "promoted", 0, prev=BASE), run("v2", BAD, "rolled_back", 50, GOOD)),
)


def test_the_newest_release_whose_whole_watch_held_is_known_good() -> None:
    found = last_known_good(STORY)
    assert found is not None and found.digest == GOOD and "whole watch" in found.why
    # before train 1's watch completed, only the baseline was known good
    early = History("prod", True, (), (run("v1", GOOD, "promoted", 0, prev=BASE),))
    assert (last_known_good(early) or pytest.fail()).digest == BASE
    # a watch still running, or inconclusive, proves nothing
    for status in ("running", "rolling_back", "inconclusive"):
        unproven = History("prod", True, (WatchRecord(GOOD, status, at(40)),), early.runs)
        assert (last_known_good(unproven) or pytest.fail()).digest == BASE


def test_after_the_watch_rolled_back_the_bad_train_rollback_is_a_no_op() -> None:
    decision = decide(STORY, stable=GOOD, preview=None)
    assert decision.target is None and "already runs" in decision.why
    assert decision.train_id == "v1"  # the train serving, reported with the message


def test_rollback_goes_to_the_known_good_not_one_revision_back() -> None:
    decision = decide(STORY, stable=BAD, preview=None)
    assert (decision.target, decision.replaced, decision.train_id) == (GOOD, BAD, "v2")
    # a third train promoted over GOOD, watch not yet done: back to GOOD, not to BAD (its
    # "previous revision" history would name v2's BAD only if we walked revisions)
    third = History(
        "prod", True, STORY.watches, (*STORY.runs, run("v3", NEWER, "promoted", 90, GOOD))
    )
    assert decide(third, stable=NEWER, preview=None).target == GOOD


def test_a_bad_watch_is_final_until_a_later_watch_passes() -> None:
    again = History("prod", True, (*STORY.watches, WatchRecord(BAD, "passed", at(120))), STORY.runs)
    assert (last_known_good(again) or pytest.fail()).digest == BAD
    same_instant = History(
        "prod",
        True,
        (WatchRecord(GOOD, "passed", at(10)), WatchRecord(GOOD, "failed", at(10))),
        (),
    )
    assert last_known_good(same_instant) is None  # at the same instant, bad wins


def test_a_manual_rollback_marks_what_it_removed_bad() -> None:
    manual = History(
        "prod", True, (WatchRecord(NEWER, "passed", at(30)),),
        (run("v1", NEWER, "rolled_back", 0, prev=BASE),),
    )  # fmt: skip
    # NEWER passed its watch, then was rolled back by hand (at 5): the rollback is later
    assert (last_known_good(manual) or pytest.fail()).digest == NEWER  # the watch came after
    late = History("prod", True, (WatchRecord(NEWER, "passed", at(1)),), manual.runs)
    assert (last_known_good(late) or pytest.fail()).digest == BASE


def test_without_a_watch_a_release_is_good_once_it_served_until_replaced() -> None:
    runs = (run("v1", GOOD, "promoted", 0, prev=BASE), run("v2", NEWER, "promoted", 20, GOOD))
    unwatched = History("stage", watched=False, runs=runs)
    assert (last_known_good(unwatched) or pytest.fail()).digest == GOOD
    assert decide(unwatched, stable=NEWER, preview=None).target == GOOD
    # on a watched stage replacement proves nothing: only the baseline and the watches count
    assert (last_known_good(History("prod", True, (), runs)) or pytest.fail()).digest == BASE


def test_a_pending_preview_is_removed_too_and_to_digest_wins() -> None:
    decision = decide(STORY, stable=GOOD, preview=NEWER)
    assert (decision.target, decision.replaced) == (GOOD, NEWER)
    chosen = decide(STORY, stable=GOOD, preview=None, to_digest=BASE)
    assert (chosen.target, chosen.why) == (BASE, "given with --to")
    assert decide(STORY, stable=BASE, preview=None, to_digest=BASE).target is None


def test_no_known_good_digest_is_a_usage_error() -> None:
    first = History("prod", True, (), (run("v1", GOOD, "promoted", 0),))
    with pytest.raises(UsageError, match="no known-good digest for prod"):
        decide(first, stable=GOOD, preview=None)


def test_the_digest_a_rollback_chose_is_known_good_from_then() -> None:
    """`rollback --to GOOD` recorded on v2's run: GOOD is chosen, BAD removed; a plain rollback
    right after is a no-op instead of going further back."""
    chose = History(
        "prod",
        True,
        (),
        (
            run("v1", BAD, "promoted", 0, prev=BASE),
            StageRecord("v2", NEWER, "rolled_back", BASE, at(10), at(20), rolled_back_to=GOOD),
        ),
    )
    found = last_known_good(chose)
    assert found is not None and (found.digest, found.at) == (GOOD, at(20))
    assert decide(chose, stable=GOOD, preview=None).target is None
    assert decide(chose, stable=NEWER, preview=None).replaced == NEWER

"""The cadence: cron in an IANA zone across daylight-saving changes, freezes and skips."""

from __future__ import annotations

from datetime import UTC, date, datetime

from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.train.schedule import freeze_at, next_cut, upcoming


def train(cadence: str = "", freeze: str = "", skip: str = ""):  # type: ignore[no-untyped-def]
    text = "version: 1\ntrain:\n" + (cadence or "  cadence: {cron: '0 18 * * 4', timezone: UTC}\n")
    text += freeze + skip
    return parse_policy(text).train


def test_seed_cadence_is_thursday_1800_utc() -> None:
    seed = parse_policy(seed_policy_text()).train
    cuts = upcoming(seed, datetime(2026, 11, 29, tzinfo=UTC), 2)
    assert [c.at.isoformat() for c in cuts] == [
        "2026-12-03T18:00:00+00:00",
        "2026-12-10T18:00:00+00:00",
    ]


def test_local_time_stays_put_across_dst() -> None:
    berlin = train("  cadence: {cron: '0 18 * * 4', timezone: Europe/Berlin}\n")
    cuts = upcoming(berlin, datetime(2026, 10, 20, tzinfo=UTC), 2)
    assert [c.as_dict()["at_utc"] for c in cuts] == [
        "2026-10-22T16:00:00+00:00",
        "2026-10-29T17:00:00+00:00",
    ]


def test_a_time_skipped_by_spring_forward_fires_once_after_the_gap() -> None:
    nightly = train("  cadence: {cron: '30 2 * * *', timezone: Europe/Berlin}\n")
    cuts = upcoming(nightly, datetime(2026, 3, 28, 12, tzinfo=UTC), 3)
    assert [c.at.strftime("%m-%d %H:%M %Z") for c in cuts] == [
        "03-29 03:00 CEST",
        "03-30 02:30 CEST",
        "03-31 02:30 CEST",
    ]


def test_a_time_repeated_by_fall_back_fires_once() -> None:
    nightly = train("  cadence: {cron: '30 2 * * *', timezone: Europe/Berlin}\n")
    cuts = upcoming(nightly, datetime(2026, 10, 24, 12, tzinfo=UTC), 2)
    assert [c.at.date() for c in cuts] == [date(2026, 10, 25), date(2026, 10, 26)]


def test_freeze_by_dates_with_reason_and_inclusive_end() -> None:
    t = train(
        freeze="  freeze: [{name: launch, reason: Big launch week, from: 2026-11-09, to: 2026-11-12}]\n"
    )
    assert freeze_at(t, datetime(2026, 11, 12, 23, 59, tzinfo=UTC)).reason == "Big launch week"  # type: ignore[union-attr]
    assert freeze_at(t, datetime(2026, 11, 13, 0, 0, tzinfo=UTC)) is None
    cuts = upcoming(t, datetime(2026, 11, 6, tzinfo=UTC), 2)
    assert [(c.status, c.reason) for c in cuts] == [
        ("frozen", "launch: Big launch week"),
        ("cut", ""),
    ]


def test_recurring_freeze_by_rrule() -> None:
    t = train(
        freeze="  freeze: [{name: quarter-end, reason: Quarter close, rrule: 'FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1', duration: 2d}]\n"
    )
    assert freeze_at(t, datetime(2027, 3, 31, 12, tzinfo=UTC)) is not None
    assert freeze_at(t, datetime(2027, 4, 1, 23, tzinfo=UTC)) is not None
    assert freeze_at(t, datetime(2027, 4, 2, 0, 1, tzinfo=UTC)) is None
    assert freeze_at(t, datetime(2027, 4, 30, 12, tzinfo=UTC)) is None


def test_skip_dates_and_next_real_cut() -> None:
    t = train(skip="  skip: [2026-11-26]\n")
    cuts = upcoming(t, datetime(2026, 11, 20, tzinfo=UTC), 2)
    assert [c.status for c in cuts] == ["skipped", "cut"]
    assert next_cut(t, datetime(2026, 11, 20, tzinfo=UTC)).at.day == 3  # type: ignore[union-attr]

"""When trains leave: cron + IANA time zone, freeze windows (dates or RRULEs) and skip dates.

Pure over the policy's `Train` section and an explicit `now`. The cron is read in the cadence's
time zone by cronsim, which follows Vixie cron across daylight-saving changes: a time skipped by
spring-forward fires once at the first valid minute after the gap, a time repeated by fall-back
fires once (on its first occurrence). Freeze windows and skips are in the same time zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from trainmaster.config.calendar import zone
from trainmaster.config.model import FreezeWindow, Train
from trainmaster.errors import UsageError

MAX_SCAN = 1000  # cron firings looked at for N upcoming cuts (skips and freezes are rare)


@dataclass(frozen=True)
class Freeze:
    name: str
    reason: str
    start: datetime
    end: datetime  # exclusive


@dataclass(frozen=True)
class ScheduledCut:
    at: datetime  # aware, in the cadence's time zone
    status: str  # cut | skipped | frozen
    reason: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "at": self.at.isoformat(),
            "at_utc": self.at.astimezone(ZoneInfo("UTC")).isoformat(),
            "weekday": self.at.strftime("%A"),
            "status": self.status,
            "reason": self.reason,
        }


def freeze_at(train: Train, at: datetime) -> Freeze | None:
    """The freeze window `at` falls in, if any."""
    tz = zone(train.cadence.timezone)
    local = _aware(at).astimezone(tz)
    for window in train.freeze:
        found = _window_at(window, local, tz)
        if found is not None:
            return found
    return None


def _window_at(window: FreezeWindow, local: datetime, tz: ZoneInfo) -> Freeze | None:
    if window.rrule is None:
        assert window.start is not None and window.end is not None  # validated by the model
        start = datetime.combine(window.start, time(), tz)
        end = datetime.combine(window.end + timedelta(days=1), time(), tz)
        return Freeze(window.name, window.reason, start, end) if start <= local < end else None
    from dateutil.rrule import rrulestr

    assert window.duration is not None
    # Occurrences start at local midnight unless the rule says otherwise (BYHOUR, DTSTART).
    has_start = "DTSTART" in window.rrule.upper()
    dtstart = datetime.combine(local.date() - window.duration - timedelta(days=800), time())
    rule = rrulestr(window.rrule, ignoretz=True, dtstart=None if has_start else dtstart)
    naive = local.replace(tzinfo=None)
    began = rule.before(naive, inc=True)
    if began is None:
        return None
    start = began.replace(tzinfo=tz)
    end = start + window.duration
    return Freeze(window.name, window.reason, start, end) if start <= local < end else None


def upcoming(train: Train, now: datetime, count: int = 5) -> list[ScheduledCut]:
    """The next `count` cron firings after `now`, each marked cut, skipped or frozen."""
    if count < 1:
        raise UsageError("--next must be at least 1")
    found: list[ScheduledCut] = []
    for cut in firings(train, now):
        found.append(cut)
        if len(found) == count:
            break
    return found


def firings(train: Train, now: datetime) -> Iterator[ScheduledCut]:
    """Cron firings after `now`, one at a time (at most MAX_SCAN), each marked cut, skipped
    or frozen: a caller that needs only the next real cut stops at it."""
    from cronsim import CronSim

    tz = zone(train.cadence.timezone)
    skips: set[date] = set(train.skip)
    times = CronSim(train.cadence.cron, _aware(now).astimezone(tz))
    for _ in range(MAX_SCAN):
        at = next(times)
        if at.date() in skips:
            yield ScheduledCut(at, "skipped", "skip date in the policy")
        elif (freeze := freeze_at(train, at)) is not None:
            yield ScheduledCut(at, "frozen", f"{freeze.name}: {freeze.reason}")
        else:
            yield ScheduledCut(at, "cut")


def next_cut(train: Train, now: datetime) -> ScheduledCut | None:
    """The next firing that actually cuts (not skipped, not frozen)."""
    for cut in upcoming(train, now, count=60):
        if cut.status == "cut":
            return cut
    return None


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise UsageError(f"{at.isoformat()}: a time needs a time zone")
    return at

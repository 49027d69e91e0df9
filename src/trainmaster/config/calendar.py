"""Checks for the time expressions a policy may hold: cron cadences, time zones, RRULEs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_HORIZON = timedelta(days=366 * 8)  # a cadence that does not fire in 8 years never will


MAX_ZONE_NAME = 64  # the longest IANA name, America/Argentina/ComodRivadavia, has 32


def zone(name: str) -> ZoneInfo:
    if len(name) > MAX_ZONE_NAME:  # ZoneInfo would look it up as a file and fail with OSError
        raise ValueError(f"unknown IANA time zone {name[:MAX_ZONE_NAME]!r}… (too long)")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as e:
        raise ValueError(f"unknown IANA time zone {name!r}") from e


def check_cron(expression: str, timezone: str) -> None:
    """Raise ValueError unless the cron is valid and fires at least once."""
    from cronsim import CronSim, CronSimError

    tz = zone(timezone)
    start = datetime.now(UTC).astimezone(tz)
    if len(expression.split()) != 5:
        raise ValueError(
            f"cron {expression!r} must have five fields (minute hour day month weekday)"
        )
    try:
        first = next(iter(CronSim(expression, start)), None)
    except CronSimError as e:
        raise ValueError(f"invalid cron {expression!r}: {e}") from e
    except StopIteration:
        first = None
    if first is None or first - start > _HORIZON:
        raise ValueError(f"cron {expression!r} never fires")


def check_rrule(rule: str) -> None:
    from dateutil.rrule import rrulestr

    try:
        rrulestr(rule, dtstart=datetime(2020, 1, 1, tzinfo=UTC))
    except (ValueError, TypeError) as e:
        raise ValueError(f"invalid rrule {rule!r}: {e}") from e

"""Budget periods and the family's "today".

A family's budget period starts on its ``period_start_day`` (1–31). In a month
shorter than that, the period starts on the month's last day instead (start day
31 starts on 28 or 29 February and on the 30th of a 30-day month). A period ends
the day before the next period starts, so periods tile the calendar with no gaps
and no overlaps, and each is 28 to 31 days long.

All dates here are local calendar dates in the family's timezone; every range
is inclusive at both ends. Nothing here reads the clock: callers pass the
instant, and :func:`local_today` turns it into the family's local date.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ValidationError

ONE_DAY = timedelta(days=1)


def check_start_day(start_day: int) -> int:
    """``start_day`` if it is an int from 1 to 31; ValidationError otherwise (the one check)."""
    if isinstance(start_day, bool) or not isinstance(start_day, int) or not 1 <= start_day <= 31:
        raise ValidationError(
            f"The period start day (the day the budget restarts) must be a day of the month "
            f"from 1 to 31, not {start_day!r}."
        )
    return start_day


def _check_date(value: date, name: str) -> None:
    # datetime is a subclass of date; letting one through would silently use
    # whatever timezone it happens to carry instead of the family's.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(
            f"{name} must be a local calendar date (datetime.date), got {type(value).__name__}; "
            "convert instants with local_today()."
        )


def _start_in_month(start_day: int, year: int, month: int) -> date:
    """The period start falling in the given month (clamped to its last day)."""
    return date(year, month, min(start_day, calendar.monthrange(year, month)[1]))


def period_start_for(start_day: int, on: date) -> date:
    """First day (inclusive) of the budget period containing the local date ``on``.

    Raises:
        ValueError: ``start_day`` is not an integer from 1 to 31.
    """
    check_start_day(start_day)
    _check_date(on, "on")
    this_month = _start_in_month(start_day, on.year, on.month)
    if on >= this_month:
        return this_month
    year, month = (on.year - 1, 12) if on.month == 1 else (on.year, on.month - 1)
    return _start_in_month(start_day, year, month)


def period_bounds(start_day: int, on: date) -> tuple[date, date]:
    """``(first_day, last_day)`` of the period containing ``on``; both inclusive."""
    start = period_start_for(start_day, on)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start, _start_in_month(start_day, year, month) - ONE_DAY


def next_period_bounds(start_day: int, on: date) -> tuple[date, date]:
    """``(first_day, last_day)`` of the period after the one containing ``on``; inclusive."""
    _, end = period_bounds(start_day, on)
    return period_bounds(start_day, end + ONE_DAY)


def days_in_period(start: date, end: date) -> int:
    """Number of days from ``start`` through ``end``, both inclusive."""
    return (end - start).days + 1


def days_left(on: date, period_end: date) -> int:
    """Days from ``on`` through ``period_end``, both inclusive (1 on the last day).

    Raises:
        ValueError: ``on`` is after ``period_end``.
    """
    _check_date(on, "on")
    _check_date(period_end, "period_end")
    if on > period_end:
        raise ValueError(f"{on.isoformat()} is after the period's last day {period_end.isoformat()}.")
    return (period_end - on).days + 1


def local_today(timezone: str, now: datetime) -> date:
    """The calendar date in the IANA ``timezone`` at the instant ``now``.

    ``now`` must be timezone-aware (any zone; only the instant matters).

    Raises:
        ValueError: ``now`` is naive, or ``timezone`` is not a known IANA name.
    """
    if not isinstance(now, datetime):
        raise TypeError(f"now must be a datetime, got {type(now).__name__}.")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(
            "now must be timezone-aware (e.g. datetime.now(timezone.utc)); a naive time "
            "could be any family's local time."
        )
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown timezone {timezone!r}; use an IANA name such as 'Europe/Berlin'.") from exc
    return now.astimezone(zone).date()

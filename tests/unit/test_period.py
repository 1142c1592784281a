"""Budget periods and the family's local "today"."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budget_core.domain.period import (
    days_in_period,
    days_left,
    local_today,
    next_period_bounds,
    period_bounds,
    period_start_for,
)
from budget_core.errors import ValidationError

D = date
DAY = timedelta(days=1)
UTC = UTC


def clamped_start(start_day: int, year: int, month: int) -> date:
    return date(year, month, min(start_day, calendar.monthrange(year, month)[1]))


def months(year: int):
    return [(year, m) for m in range(1, 13)]


# --- worked examples -------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (D(2027, 1, 31), (D(2027, 1, 31), D(2027, 2, 27))),
        (D(2027, 2, 27), (D(2027, 1, 31), D(2027, 2, 27))),
        (D(2027, 2, 28), (D(2027, 2, 28), D(2027, 3, 30))),
        (D(2027, 3, 30), (D(2027, 2, 28), D(2027, 3, 30))),
        (D(2027, 3, 31), (D(2027, 3, 31), D(2027, 4, 29))),
        (D(2027, 4, 30), (D(2027, 4, 30), D(2027, 5, 30))),
        (D(2027, 5, 31), (D(2027, 5, 31), D(2027, 6, 29))),
        (D(2027, 12, 31), (D(2027, 12, 31), D(2028, 1, 30))),
        (D(2027, 1, 1), (D(2026, 12, 31), D(2027, 1, 30))),
    ],
)
def test_start_day_31_clamps_to_the_last_day_of_short_months_in_a_non_leap_year(on, expected):
    assert period_bounds(31, on) == expected


@pytest.mark.parametrize(
    ("start_day", "on", "expected"),
    [
        (31, D(2024, 2, 10), (D(2024, 1, 31), D(2024, 2, 28))),
        (31, D(2024, 2, 29), (D(2024, 2, 29), D(2024, 3, 30))),
        (30, D(2024, 2, 28), (D(2024, 1, 30), D(2024, 2, 28))),
        (30, D(2024, 2, 29), (D(2024, 2, 29), D(2024, 3, 29))),
        (29, D(2024, 2, 29), (D(2024, 2, 29), D(2024, 3, 28))),
        (29, D(2027, 2, 28), (D(2027, 2, 28), D(2027, 3, 28))),
        (29, D(2027, 2, 27), (D(2027, 1, 29), D(2027, 2, 27))),
        (30, D(2027, 4, 30), (D(2027, 4, 30), D(2027, 5, 29))),
        (28, D(2024, 2, 29), (D(2024, 2, 28), D(2024, 3, 27))),
    ],
)
def test_february_and_30_day_months_clamp_late_start_days(start_day, on, expected):
    assert period_bounds(start_day, on) == expected


def test_start_day_1_gives_calendar_months():
    assert period_bounds(1, D(2024, 2, 15)) == (D(2024, 2, 1), D(2024, 2, 29))
    assert period_bounds(1, D(2027, 2, 1)) == (D(2027, 2, 1), D(2027, 2, 28))
    assert period_bounds(1, D(2027, 12, 31)) == (D(2027, 12, 1), D(2027, 12, 31))


def test_start_day_15_spans_two_calendar_months_and_crosses_the_year():
    assert period_bounds(15, D(2027, 1, 14)) == (D(2026, 12, 15), D(2027, 1, 14))
    assert period_bounds(15, D(2027, 1, 15)) == (D(2027, 1, 15), D(2027, 2, 14))


# --- every start day, every month of a leap and a non-leap year -------------


@pytest.mark.parametrize("year", [2024, 2027])
@pytest.mark.parametrize("start_day", range(1, 32))
def test_every_start_day_starts_each_month_on_the_clamped_day(start_day, year):
    for y, m in months(year):
        start = clamped_start(start_day, y, m)
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        end = clamped_start(start_day, ny, nm) - DAY
        assert period_start_for(start_day, start) == start
        assert period_bounds(start_day, start) == (start, end)
        assert period_bounds(start_day, end) == (start, end)
        assert period_start_for(start_day, start - DAY) < start
        assert period_bounds(start_day, start - DAY)[1] == start - DAY
        assert 28 <= days_in_period(start, end) <= 31


def test_every_day_of_2023_to_2029_lies_in_exactly_one_period_for_every_start_day():
    for start_day in range(1, 32):
        day = D(2023, 1, 1)
        previous = period_bounds(start_day, day)
        while day <= D(2029, 12, 31):
            bounds = period_bounds(start_day, day)
            assert bounds[0] <= day <= bounds[1]
            if bounds != previous:
                assert bounds[0] == previous[1] + DAY == day
            previous = bounds
            day += DAY


@settings(max_examples=60, deadline=None)
@given(
    start_day=st.integers(1, 31),
    first=st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31)),
)
def test_periods_tile_three_years_without_gaps_or_overlaps(start_day, first):
    start, end = period_bounds(start_day, first)
    covered = 0
    while start <= first + timedelta(days=3 * 366):
        assert start <= end
        assert start.day == min(start_day, calendar.monthrange(start.year, start.month)[1])
        nxt = next_period_bounds(start_day, start)
        assert nxt[0] == end + DAY
        assert period_bounds(start_day, end) == (start, end)
        assert period_bounds(start_day, end + DAY) == nxt
        covered += days_in_period(start, end)
        start, end = nxt
    assert covered >= 3 * 365


@settings(max_examples=200, deadline=None)
@given(start_day=st.integers(1, 31), on=st.dates(min_value=D(1900, 2, 1), max_value=D(2200, 12, 31)))
def test_the_period_containing_a_day_contains_it_and_days_left_counts_inclusively(start_day, on):
    start, end = period_bounds(start_day, on)
    assert start <= on <= end
    assert days_left(on, end) == (end - on).days + 1
    assert days_left(end, end) == 1
    assert days_left(start, end) == days_in_period(start, end)


def test_next_period_bounds_is_the_following_period():
    assert next_period_bounds(31, D(2027, 2, 10)) == (D(2027, 2, 28), D(2027, 3, 30))
    assert next_period_bounds(1, D(2027, 12, 31)) == (D(2028, 1, 1), D(2028, 1, 31))


# --- validation -------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 32, -1, 1.0, "1", True, None])
def test_start_day_outside_1_to_31_is_rejected_with_a_readable_message(bad):
    with pytest.raises(ValidationError, match="start day"):
        period_bounds(bad, D(2027, 1, 1))


def test_days_left_rejects_a_day_after_the_period():
    with pytest.raises(ValueError, match="after the period"):
        days_left(D(2027, 2, 1), D(2027, 1, 31))


def test_a_datetime_is_not_accepted_as_a_local_date():
    with pytest.raises(TypeError, match="local_today"):
        period_bounds(1, datetime(2027, 1, 1, 12, tzinfo=UTC))


# --- local_today ------------------------------------------------------------


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "now", "expected"),
    [
        # UTC+14: local midnight is 10:00 UTC the day before.
        ("Pacific/Kiritimati", utc(2024, 12, 31, 9, 59, 59), D(2024, 12, 31)),
        ("Pacific/Kiritimati", utc(2024, 12, 31, 10, 0), D(2025, 1, 1)),
        # UTC-11: local midnight is 11:00 UTC the same day.
        ("Pacific/Pago_Pago", utc(2025, 1, 1, 10, 59, 59), D(2024, 12, 31)),
        ("Pacific/Pago_Pago", utc(2025, 1, 1, 11, 0), D(2025, 1, 1)),
        # The same instant is two calendar days apart in the two zones.
        ("Pacific/Kiritimati", utc(2025, 1, 1, 10, 30), D(2025, 1, 2)),
        ("Pacific/Pago_Pago", utc(2025, 1, 1, 10, 30), D(2024, 12, 31)),
    ],
)
def test_local_today_near_midnight_at_the_date_line(zone, now, expected):
    assert local_today(zone, now) == expected


@pytest.mark.parametrize(
    ("zone", "now", "expected"),
    [
        # Berlin, spring forward 2024-03-31 (CET -> CEST): midnight before is 23:00 UTC,
        # midnight after is 22:00 UTC.
        ("Europe/Berlin", utc(2024, 3, 30, 22, 59, 59), D(2024, 3, 30)),
        ("Europe/Berlin", utc(2024, 3, 30, 23, 0), D(2024, 3, 31)),
        ("Europe/Berlin", utc(2024, 3, 31, 21, 59, 59), D(2024, 3, 31)),
        ("Europe/Berlin", utc(2024, 3, 31, 22, 0), D(2024, 4, 1)),
        # Berlin, fall back 2024-10-27 (CEST -> CET).
        ("Europe/Berlin", utc(2024, 10, 26, 21, 59, 59), D(2024, 10, 26)),
        ("Europe/Berlin", utc(2024, 10, 26, 22, 0), D(2024, 10, 27)),
        ("Europe/Berlin", utc(2024, 10, 27, 22, 59, 59), D(2024, 10, 27)),
        ("Europe/Berlin", utc(2024, 10, 27, 23, 0), D(2024, 10, 28)),
        # New York, spring forward 2024-03-10 (EST -> EDT).
        ("America/New_York", utc(2024, 3, 10, 4, 59, 59), D(2024, 3, 9)),
        ("America/New_York", utc(2024, 3, 10, 5, 0), D(2024, 3, 10)),
        ("America/New_York", utc(2024, 3, 11, 3, 59, 59), D(2024, 3, 10)),
        ("America/New_York", utc(2024, 3, 11, 4, 0), D(2024, 3, 11)),
        # New York, fall back 2024-11-03 (EDT -> EST).
        ("America/New_York", utc(2024, 11, 3, 3, 59, 59), D(2024, 11, 2)),
        ("America/New_York", utc(2024, 11, 3, 4, 0), D(2024, 11, 3)),
        ("America/New_York", utc(2024, 11, 4, 4, 59, 59), D(2024, 11, 3)),
        ("America/New_York", utc(2024, 11, 4, 5, 0), D(2024, 11, 4)),
        # Lord Howe shifts by 30 minutes: UTC+11 in summer, UTC+10:30 in winter.
        # DST ends 2024-04-07 (02:00 -> 01:30 local).
        ("Australia/Lord_Howe", utc(2024, 4, 6, 12, 59, 59), D(2024, 4, 6)),
        ("Australia/Lord_Howe", utc(2024, 4, 6, 13, 0), D(2024, 4, 7)),
        ("Australia/Lord_Howe", utc(2024, 4, 7, 13, 29, 59), D(2024, 4, 7)),
        ("Australia/Lord_Howe", utc(2024, 4, 7, 13, 30), D(2024, 4, 8)),
        # DST starts 2024-10-06 (02:00 -> 02:30 local).
        ("Australia/Lord_Howe", utc(2024, 10, 5, 13, 29, 59), D(2024, 10, 5)),
        ("Australia/Lord_Howe", utc(2024, 10, 5, 13, 30), D(2024, 10, 6)),
        ("Australia/Lord_Howe", utc(2024, 10, 6, 12, 59, 59), D(2024, 10, 6)),
        ("Australia/Lord_Howe", utc(2024, 10, 6, 13, 0), D(2024, 10, 7)),
    ],
)
def test_local_today_changes_at_local_midnight_across_dst_changes(zone, now, expected):
    assert local_today(zone, now) == expected


ZONES = [
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "UTC",
]


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    instant=st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2029, 12, 31)),
    offset_minutes=st.integers(-14 * 60, 14 * 60),
)
def test_local_today_depends_only_on_the_instant_not_on_the_zone_now_is_given_in(zone, instant, offset_minutes):
    as_utc = instant.replace(tzinfo=UTC)
    elsewhere = as_utc.astimezone(timezone(timedelta(minutes=offset_minutes)))
    today = local_today(zone, as_utc)
    assert local_today(zone, elsewhere) == today
    # Independent check: the instant lies between that day's local midnight and the next.
    tz = ZoneInfo(zone)
    assert datetime.combine(today, time(0), tz) <= as_utc < datetime.combine(today + DAY, time(0), tz)


def test_local_today_rejects_a_naive_datetime():
    with pytest.raises(ValueError, match="timezone-aware"):
        local_today("Europe/Berlin", datetime(2024, 3, 31, 12, 0))


def test_local_today_rejects_an_unknown_timezone():
    with pytest.raises(ValueError, match="Unknown timezone"):
        local_today("Mars/Olympus_Mons", utc(2024, 1, 1))

"""When a recurring entry falls: the occurrence dates of a schedule, and how to say it.

A schedule repeats every ``step`` weeks on an ISO weekday (1 = Monday … 7 = Sunday), every ``step``
months on a day of the month (1–31; in shorter months the last day: the 31st falls on 28 or 29
February), or every ``step`` years on a month and day (29 February falls on the 28th in other
years). It starts on ``starts_on`` (the first occurrence is the first matching date on or after it;
weekly steps count from that week, monthly and yearly steps from that month or year) and ends after
``ends_on`` (inclusive) or after ``max_count`` occurrences, whichever comes first. Pure: local dates
in the family's time zone, no clock.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from ..errors import ValidationError
from .locale import month_day

EVERY = ("week", "month", "year")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_STEP = 99


@dataclass(frozen=True, slots=True)
class Recurrence:
    every: str  # "week" | "month" | "year"
    step: int
    day: int  # week: ISO weekday 1-7; month/year: day of month 1-31
    starts_on: date
    month: int | None = None  # year: the month (default: the start's)
    ends_on: date | None = None
    max_count: int | None = None

    def __post_init__(self) -> None:
        if self.every not in EVERY:
            raise ValidationError(f"Repeat every week, month or year, not '{self.every}'.")
        if isinstance(self.step, bool) or not isinstance(self.step, int) or not 1 <= self.step <= MAX_STEP:
            raise ValidationError(f"The interval is a whole number from 1 to {MAX_STEP}.")
        top = 7 if self.every == "week" else 31
        if isinstance(self.day, bool) or not isinstance(self.day, int) or not 1 <= self.day <= top:
            what = "a weekday from 1 (Monday) to 7 (Sunday)" if self.every == "week" else "a day of the month, 1 to 31"
            raise ValidationError(f"The day is {what}, not {self.day!r}.")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValidationError("The month is 1 to 12.")
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValidationError("The schedule ends before it starts; check the dates.")
        if self.max_count is not None and (isinstance(self.max_count, bool) or self.max_count < 1):
            raise ValidationError("The number of times is at least 1.")

    def dates(self) -> Iterator[date]:
        """Every occurrence in order, endless unless it has an end or a count."""
        count = 0
        for day in self._unbounded():
            if self.ends_on is not None and day > self.ends_on:
                return
            if self.max_count is not None and count >= self.max_count:
                return
            count += 1
            yield day

    def _unbounded(self) -> Iterator[date]:
        start = self.starts_on
        if self.every == "week":
            day = start + timedelta(days=(self.day - start.isoweekday()) % 7)
            while day <= date.max - timedelta(days=7 * self.step):
                yield day
                day += timedelta(days=7 * self.step)
            return
        if self.every == "month":
            year, month = start.year, start.month
            while year <= date.max.year - 1:
                day = _clamped(year, month, self.day)
                if day >= start:
                    yield day
                month += self.step
                year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
            return
        month = self.month or start.month
        year = start.year
        while year <= date.max.year - 1:
            day = _clamped(year, month, self.day)
            if day >= start:
                yield day
            year += self.step

    def between(self, first: date, last: date) -> list[date]:
        """Occurrences from ``first`` through ``last`` (both inclusive)."""
        out = []
        for day in self.dates():
            if day > last:
                break
            if day >= first:
                out.append(day)
        return out

    def next_after(self, day: date) -> date | None:
        """The first occurrence strictly after ``day``."""
        return next((d for d in self.dates() if d > day), None)

    def describe(self, locale: str = "en_US") -> str:
        """'every Friday', 'every 2 weeks on Friday', 'monthly on the 31st', 'every 3 months on the 1st',
        'yearly on Feb 14' (the day in ``locale``'s short form)."""
        if self.every == "week":
            name = WEEKDAYS[self.day - 1]
            return f"every {name}" if self.step == 1 else f"every {self.step} weeks on {name}"
        if self.every == "month":
            on = f"on the {_ordinal(self.day)}"
            return f"monthly {on}" if self.step == 1 else f"every {self.step} months {on}"
        day = _clamped(2000, self.month or self.starts_on.month, self.day)  # 2000: a leap year, so 29 Feb stays
        on = f"on {month_day(day, locale)}"
        return f"yearly {on}" if self.step == 1 else f"every {self.step} years {on}"


def _clamped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def when(day: date, today: date, locale: str = "en_US") -> str:
    """'today', 'tomorrow', 'on Friday' (within a week), else 'on Dec 12' (``locale``'s short form)."""
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if 1 < delta < 7:
        return f"on {WEEKDAYS[day.weekday()]}"
    return f"on {month_day(day, locale)}"

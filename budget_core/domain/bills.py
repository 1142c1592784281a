"""Bills: a planned fixed expense in one period — due, paid or overdue — and the line Today shows.

A bill has an expected amount per period and, optionally, a due day (1–31, clamped to short months
like the period start day). In the budget period containing a date, the bill is *paid* when a
transaction linked to it falls in that period, *overdue* when it is not and its due date has passed,
and *due* otherwise. Pure: dates are local dates in the family's time zone, money in minor units.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from .locale import month_day
from .period import period_bounds


def _clamped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def due_date(period_start_day: int, due_day: int | None, on: date) -> date | None:
    """The bill's due date in the budget period containing ``on`` (None without a due day).

    A period spans at most two calendar months; the due day falls in exactly one of them within it
    (``bill_due_on`` in migration 0011 is the same rule in SQL).
    """
    if due_day is None:
        return None
    start, end = period_bounds(period_start_day, on)
    first = _clamped(start.year, start.month, due_day)
    if first >= start:
        return first
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return _clamped(year, month, due_day)


@dataclass(frozen=True, slots=True)
class Payment:
    transaction_id: int
    amount: int
    occurred_on: date
    description: str
    member: str


@dataclass(frozen=True, slots=True)
class BillStatus:
    """One bill in the period containing ``on``."""

    bill_id: int
    name: str
    amount: int  # expected, minor units
    due_on: date | None
    state: str  # "paid" | "due" | "overdue"
    payments: tuple[Payment, ...]

    @property
    def paid(self) -> int:
        return sum(p.amount for p in self.payments)

    @property
    def difference(self) -> int:
        """Paid minus expected (positive: paid more than planned); 0 while unpaid."""
        return self.paid - self.amount if self.payments else 0

    def phrase(self, locale: str = "en_US") -> str:
        """'Rent paid Dec 1', 'Power due on the 15th', 'Water overdue since the 3rd', 'Internet due';
        the date in ``locale``'s short form ('Miete paid 1. Dez.' for de_DE)."""
        if self.state == "paid":
            return f"{self.name} paid {month_day(self.payments[0].occurred_on, locale)}"
        if self.due_on is None:
            return f"{self.name} due"
        if self.state == "overdue":
            return f"{self.name} overdue since the {ordinal(self.due_on.day)}"
        return f"{self.name} due on the {ordinal(self.due_on.day)}"


def ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def bill_state(due_on: date | None, payments: tuple[Payment, ...], on: date) -> str:
    if payments:
        return "paid"
    if due_on is not None and due_on < on:
        return "overdue"
    return "due"


def bills_line(statuses: list[BillStatus], locale: str = "en_US") -> str:
    """Today's one line about bills: the unpaid first (overdue, then by due date), then the paid."""
    order = {"overdue": 0, "due": 1, "paid": 2}
    ranked = sorted(statuses, key=lambda s: (order[s.state], s.due_on or date.max, s.name))
    return " · ".join(s.phrase(locale) for s in ranked)

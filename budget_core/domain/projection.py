"""End-of-period projection of variable spending: pure functions, no clock, no I/O.

The method, in the family's words "where will we end up if we keep spending like this?":

- **Pace.** The days from the period start through ``on`` (inclusive, today counts even if it is
  not over yet) are the observed days, ``n`` of them, with daily variable totals ``x_1..x_n`` in
  minor units (refunds make a day smaller or negative). The pace is their mean ``x̄ = spent / n``.
  This is the same pace as :attr:`budget_core.domain.allowance.Overview.projected_variable_spend`, so the
  Today number and this projection agree by construction.
- **Expected.** ``expected = spent + x̄ · r`` where ``r`` is the number of days after ``on``
  through the period end; computed in integers as ``spent · (n + r) // n`` (floored).
- **Range.** The days are treated as independent draws with the observed day-to-day standard
  deviation ``s`` (sample, ``n − 1``). The total of the ``r`` future days, with the mean itself
  estimated from ``n`` days, has a prediction standard deviation ``s · sqrt(r · (1 + r / n))``.
  ``low``/``high`` are ``expected ∓ z`` times that, ``z = 1.2816`` for an 80 % range (the middle
  four in five outcomes), rounded outward to whole minor units. ``low`` never goes below what is
  already spent — unless refunds made the pace negative. With fewer than two observed days there
  is no variation to measure and the range collapses to ``expected`` (``has_range`` is False).
  On the last day ``r = 0`` and the range is exactly what was spent.
- **Run-out day.** ``budget`` is the period's variable budget (``plan_spendable + extra_income −
  fixed_overrun``). If cumulative spending already exceeds it, ``runs_out_on`` is the first day
  it did. Otherwise, at pace ``x̄ > 0`` the budget is exceeded on the ``k``-th day after ``on``,
  the least ``k`` with ``spent + k · x̄ > budget``, i.e. ``k = (budget − spent) · n // spent + 1``
  (exact integer arithmetic); ``runs_out_on`` is that day if it falls within the period, else
  ``None``. Spending exactly the budget is not running out.

Money is ``int`` minor units throughout; floats appear only inside the range's square root.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .allowance import Overview

Z_80 = 1.2815515655446004
"""Two-sided 80 % normal quantile: ``low``/``high`` bracket the middle 80 % of outcomes."""


@dataclass(frozen=True, slots=True)
class Projection:
    """Where variable spending ends at the period end at the current pace; money in minor units.

    Dates are local, inclusive: ``on`` is the last observed day, ``period_end`` the period's last.
    """

    period_start: date
    period_end: date
    on: date
    observed_days: int  # period start through ``on``, inclusive
    remaining_days: int  # after ``on`` through ``period_end``
    spent: int  # variable spending so far, ``on`` included
    pace: float  # mean daily variable spending so far (display only)
    daily_sd: float  # sample standard deviation of the daily totals (display only)
    expected: int
    low: int
    high: int
    budget: int  # the period's variable budget
    runs_out_on: date | None
    has_range: bool
    z: float = Z_80

    @property
    def expected_left(self) -> int:
        """What the budget keeps at the period end at this pace (negative: overspent)."""
        return self.budget - self.expected

    @property
    def over_budget(self) -> bool:
        return self.expected > self.budget


def _sample_sd(values: Sequence[int]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))


def project(
    daily_spent: Sequence[int], period_start: date, period_end: date, budget: int, *, z: float = Z_80
) -> Projection:
    """Project variable spending to ``period_end`` from the observed days.

    Args:
        daily_spent: variable spending of each day from ``period_start`` on, one int per day, in
            minor units; the last item is "today" (``on``). At least one day, at most the period.
        period_start, period_end: the period's first and last day, inclusive.
        budget: the period's variable budget in minor units.
        z: the normal quantile of the range (default: 80 %).

    Returns:
        The :class:`Projection`; see the module docstring for the method.
    """
    n = len(daily_spent)
    total_days = (period_end - period_start).days + 1
    if not 1 <= n <= total_days:
        raise ValueError(f"Need 1 to {total_days} observed days for this period, got {n}.")
    if any(isinstance(v, bool) or not isinstance(v, int) for v in daily_spent):
        raise TypeError("daily_spent must be ints in minor units.")
    on = period_start + timedelta(days=n - 1)
    remaining = total_days - n
    spent = sum(daily_spent)
    expected = spent * total_days // n
    sd = _sample_sd(daily_spent)
    has_range = n >= 2 and remaining > 0
    if has_range:
        spread = z * sd * math.sqrt(remaining * (1 + remaining / n))
        low, high = math.floor(expected - spread), math.ceil(expected + spread)
        if expected >= spent:
            low = max(low, spent)
    else:
        low = high = expected
    return Projection(
        period_start=period_start,
        period_end=period_end,
        on=on,
        observed_days=n,
        remaining_days=remaining,
        spent=spent,
        pace=spent / n,
        daily_sd=sd,
        expected=expected,
        low=low,
        high=high,
        budget=budget,
        runs_out_on=run_out_day(daily_spent, period_start, period_end, budget),
        has_range=has_range,
        z=z,
    )


def run_out_day(daily_spent: Sequence[int], period_start: date, period_end: date, budget: int) -> date | None:
    """The first day cumulative variable spending exceeds ``budget``, observed or at the current pace.

    ``None`` when, at this pace, spending stays within the budget through ``period_end``.
    """
    running = 0
    for i, amount in enumerate(daily_spent):
        running += amount
        if running > budget:
            return period_start + timedelta(days=i)
    n, spent = len(daily_spent), running
    if spent <= 0:
        return None
    k = (budget - spent) * n // spent + 1
    offset = n - 1 + k  # at a pace of a cent a month this is far past any date: compare before adding
    return period_start + timedelta(days=offset) if offset <= (period_end - period_start).days else None


def project_overview(overview: Overview, *, z: float = Z_80) -> Projection:
    """The projection of the period in ``overview`` (from ``services.budgets.overview``).

    The budget is read back from the overview itself (``projected_left + projected_variable_spend
    = plan_spendable + extra_income − fixed_overrun``), so nothing is computed twice.
    """
    observed = [row.spent for row in overview.rows if not row.projected]
    budget = overview.projected_left + overview.projected_variable_spend
    return project(observed, overview.period_start, overview.period_end, budget, z=z)


def cone(projection: Projection) -> list[tuple[date, int, int, int]]:
    """Cumulative ``(day, expected, low, high)`` from ``on`` through the period end, minor units.

    The same method as :func:`project` applied to each intermediate day, for drawing the range
    widening with the days ahead; the last row equals the projection's ``expected/low/high``.
    """
    p = projection
    rows = []
    for k in range(p.remaining_days + 1):
        days = p.observed_days + k
        expected = p.spent * days // p.observed_days
        if p.has_range and k:
            spread = p.z * p.daily_sd * math.sqrt(k * (1 + k / p.observed_days))
            low, high = math.floor(expected - spread), math.ceil(expected + spread)
            if expected >= p.spent:
                low = max(low, p.spent)
        else:
            low = high = expected
        rows.append((p.on + timedelta(days=k), expected, low, high))
    return rows

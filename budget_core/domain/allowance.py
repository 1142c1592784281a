"""The daily budget: how much the family can still spend today.

For a plan and a local date ``on`` (the family's "today"), within the budget
period containing ``on`` (see :mod:`budget_core.domain.period`):

- ``plan_spendable = monthly_income - fixed_planned - savings_goal``.
- ``extra_income = max(0, income in the period through `on` - monthly_income)``:
  recording the regular salary never counts twice; only income beyond it adds.
- ``fixed_overrun = max(0, fixed spending in the period through `on` - fixed_planned)``.
- ``variable_before_today`` = variable spending in the period strictly before ``on``.
- ``days_left`` = days from ``on`` through the period's last day, inclusive.
- ``carried_in`` = what the previous period left, when the family carries
  over (see :func:`carried_in`); 0 otherwise.
- ``allowance_today = (plan_spendable + extra_income - fixed_overrun
  - variable_before_today + carried_in) // days_left`` — floor division, so an
  overspent period gives a negative allowance rounded down, never up.

The allowance is fixed for the day: variable spending dated ``on`` is
``spent_today`` and only lowers ``left_today = allowance_today - spent_today``;
it counts against the allowance from tomorrow on. Savings-kind amounts count
toward the savings goal (``saved``), never against the allowance. Refunds are
negative amounts of their kind. Amounts dated after ``on`` or before the period
start are ignored.

All money is ``int`` in the currency's minor unit (cents, yen, fils — the
number of decimals does not matter here). Everything is pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from budget_core.domain.period import ONE_DAY, check_start_day, days_in_period, days_left, period_bounds

KINDS = ("fixed", "variable", "savings", "income")
KIND_LABELS = {"variable": "Everyday", "fixed": "Fixed", "savings": "Savings", "income": "Income"}  # the screen's words


def _check_money(value: object, name: str, *, non_negative: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int in minor units (e.g. cents), got {value!r}.")
    if non_negative and value < 0:
        raise ValueError(f"{name} cannot be negative, got {value}.")


@dataclass(frozen=True, slots=True)
class Plan:
    """The family's monthly plan; amounts in minor units."""

    monthly_income: int
    fixed_planned: int  # sum of the planned fixed expenses (rent, utilities ...)
    savings_goal: int
    period_start_day: int  # 1..31; see budget_core.domain.period

    def __post_init__(self) -> None:
        _check_money(self.monthly_income, "monthly_income", non_negative=True)
        _check_money(self.fixed_planned, "fixed_planned", non_negative=True)
        _check_money(self.savings_goal, "savings_goal", non_negative=True)
        check_start_day(self.period_start_day)

    @property
    def plan_spendable(self) -> int:
        """What the plan leaves for variable spending over a whole period (may be negative)."""
        return self.monthly_income - self.fixed_planned - self.savings_goal


@dataclass(frozen=True, slots=True)
class DayTotal:
    """Sum of the amounts of one kind on one local day, in minor units.

    Expenses and income are positive, refunds negative. Several totals for the
    same day and kind are simply added up.
    """

    day: date
    kind: str
    amount: int

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown kind {self.kind!r}; expected one of {', '.join(KINDS)}.")
        _check_money(self.amount, "amount")


@dataclass(frozen=True, slots=True)
class KindSummary:
    """Plan versus period-to-date actual (including ``on``) for one kind; minor units."""

    kind: str
    planned: int
    actual: int

    @property
    def left(self) -> int:
        """Planned minus actual: what is still to spend (or, for income, still to come); negative when over."""
        return self.planned - self.actual

    @property
    def income_received(self) -> bool:
        """For income: the planned income has all come in."""
        return self.kind == "income" and self.left <= 0


@dataclass(frozen=True, slots=True)
class DailyBudget:
    """The daily budget on the local date ``on``; money in minor units, dates inclusive."""

    on: date
    period_start: date
    period_end: date
    days_left: int
    plan_spendable: int
    extra_income: int
    fixed_overrun: int
    variable_before_today: int
    allowance_today: int
    spent_today: int
    left_today: int
    spent_by_kind: tuple[KindSummary, ...]  # one per KINDS, in that order
    savings_goal: int
    saved: int
    next_period_days: int  # length of the period after this one
    carried_in: int = 0  # what the previous period left (carry-over on), else 0
    carry_over: bool = False

    @property
    def pool(self) -> int:
        """What is left for variable spending from today through the period end."""
        return (
            self.plan_spendable + self.extra_income - self.fixed_overrun - self.variable_before_today + self.carried_in
        )

    @property
    def left_in_period(self) -> int:
        """The period's remainder so far (negative when overspent): what it will carry into the next
        period if nothing more is spent — on its last day, exactly what carries (carry-over on)."""
        return self.pool - self.spent_today

    @property
    def over_by(self) -> int:
        """How far today's variable spending is above today's allowance (0 if not)."""
        return max(0, -self.left_today)

    def summary(self, kind: str) -> KindSummary:
        """The :class:`KindSummary` of ``kind``."""
        for item in self.spent_by_kind:
            if item.kind == kind:
                return item
        raise ValueError(f"Unknown kind {kind!r}; expected one of {', '.join(KINDS)}.")

    def allowance_tomorrow_if(self, spend: int) -> int:
        """Tomorrow's allowance if ``spend`` more variable money is spent today.

        ``spend`` comes on top of ``spent_today`` and assumes nothing else
        changes. On the period's last day tomorrow opens a fresh period:
        without carry-over today's spending does not reach it and the answer is
        the new period's ``plan_spendable // days``; with carry-over the
        period's remainder (after ``spend``) is carried in.
        """
        _check_money(spend, "spend")
        if self.days_left == 1:
            carried = self.pool - self.spent_today - spend if self.carry_over else 0
            return (self.plan_spendable + carried) // self.next_period_days
        return (self.pool - self.spent_today - spend) // (self.days_left - 1)


def compute_daily_budget(
    plan: Plan, totals: Iterable[DayTotal], on: date, carried_in: int = 0, *, carry_over: bool = False
) -> DailyBudget:
    """The daily budget for the local date ``on``.

    Args:
        plan: the family's plan.
        totals: day totals of any dates; only those from the period start
            through ``on`` (both inclusive) count.
        on: the family's local "today".
        carried_in: what the previous period left (:func:`carried_in`), minor
            units; 0 without carry-over.
        carry_over: the family carries each period's remainder into the next.
    """
    _check_money(carried_in, "carried_in")
    start, end = period_bounds(plan.period_start_day, on)
    to_date = dict.fromkeys(KINDS, 0)  # period start .. on, inclusive
    spent_today = 0
    for total in totals:
        if start <= total.day <= on:
            to_date[total.kind] += total.amount
            if total.kind == "variable" and total.day == on:
                spent_today += total.amount

    extra_income = max(0, to_date["income"] - plan.monthly_income)
    fixed_overrun = max(0, to_date["fixed"] - plan.fixed_planned)
    variable_before_today = to_date["variable"] - spent_today
    remaining_days = days_left(on, end)
    pool = plan.plan_spendable + extra_income - fixed_overrun - variable_before_today + carried_in
    allowance_today = pool // remaining_days
    planned = {
        "fixed": plan.fixed_planned,
        "variable": plan.plan_spendable,
        "savings": plan.savings_goal,
        "income": plan.monthly_income,
    }
    next_start, next_end = period_bounds(plan.period_start_day, end + ONE_DAY)
    return DailyBudget(
        on=on,
        period_start=start,
        period_end=end,
        days_left=remaining_days,
        plan_spendable=plan.plan_spendable,
        extra_income=extra_income,
        fixed_overrun=fixed_overrun,
        variable_before_today=variable_before_today,
        allowance_today=allowance_today,
        spent_today=spent_today,
        left_today=allowance_today - spent_today,
        spent_by_kind=tuple(KindSummary(k, planned[k], to_date[k]) for k in KINDS),
        savings_goal=plan.savings_goal,
        saved=to_date["savings"],
        next_period_days=days_in_period(next_start, next_end),
        carried_in=carried_in,
        carry_over=carry_over,
    )


@dataclass(frozen=True, slots=True)
class PeriodTotal:
    """Sum of the amounts of one kind over the budget period starting on ``period_start``; minor units."""

    period_start: date
    kind: str
    amount: int

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown kind {self.kind!r}; expected one of {', '.join(KINDS)}.")
        _check_money(self.amount, "amount")


def period_left(plan: Plan, by_kind: dict[str, int], carried: int) -> int:
    """What a whole period left of its everyday money (negative when overspent):
    ``monthly_income - fixed_planned - savings_goal + extra_income - fixed_overrun - everyday spending
    + carried``, with ``by_kind`` the period's totals by kind."""
    extra = max(0, by_kind.get("income", 0) - plan.monthly_income)
    overrun = max(0, by_kind.get("fixed", 0) - plan.fixed_planned)
    return plan.plan_spendable + extra - overrun - by_kind.get("variable", 0) + carried


def carried_in(plan: Plan, totals: Iterable[PeriodTotal], on: date, since: date | None) -> int:
    """What the period containing ``on`` carries in when carry-over was switched on on ``since``.

    Switched on in a period, that period carries in what the period before it left (computed with
    nothing carried into that one); each later period carries what the one before it left, its own
    carried-in amount included — a running balance. ``totals`` are the whole periods' totals by
    kind (only those of periods before ``on``'s count). 0 when ``since`` is None (carry-over off)
    or ``on`` lies in a period before the one containing ``since``. The plan of today applies to
    every period.
    """
    if since is None:
        return 0
    first, _ = period_bounds(plan.period_start_day, since)
    current, _ = period_bounds(plan.period_start_day, on)
    if current < first:
        return 0
    sums: dict[date, dict[str, int]] = {}
    for total in totals:
        if total.period_start < current:
            into = sums.setdefault(total.period_start, {})
            into[total.kind] = into.get(total.kind, 0) + total.amount
    start = period_bounds(plan.period_start_day, first - ONE_DAY)[0]
    carried = 0
    while start < current:
        carried = period_left(plan, sums.get(start, {}), carried)
        start = period_bounds(plan.period_start_day, start)[1] + ONE_DAY
    return carried


@dataclass(frozen=True, slots=True)
class DayRow:
    """One day of the period overview; money in minor units.

    ``balance`` is the running sum of ``allowance - spent`` from the period
    start through ``day``. ``projected`` days lie after ``on``: nothing spent,
    allowance as if nothing more were spent.
    """

    day: date
    allowance: int
    spent: int
    balance: int
    projected: bool


@dataclass(frozen=True, slots=True)
class Overview:
    """The whole period containing ``on``, day by day, plus a pace projection.

    ``projected_variable_spend`` extrapolates the variable spending so far
    (period start through ``on``) at the same daily pace to the whole period,
    floored; ``projected_left`` is what that pace would leave at the period end
    (negative: overspent). Money in minor units.
    """

    on: date
    period_start: date
    period_end: date
    rows: tuple[DayRow, ...]
    variable_spent: int
    projected_variable_spend: int
    projected_left: int


def month_overview(plan: Plan, totals: Iterable[DayTotal], on: date, carried: int = 0) -> Overview:
    """Every day of the period containing ``on``, each computed by :func:`compute_daily_budget`
    (with ``carried`` carried into the period).

    Totals dated after ``on`` are ignored, also for the projected days.
    """
    start, end = period_bounds(plan.period_start_day, on)
    collapsed: dict[tuple[date, str], int] = {}
    for total in totals:
        if start <= total.day <= on:
            key = (total.day, total.kind)
            collapsed[key] = collapsed.get(key, 0) + total.amount
    known = tuple(DayTotal(day, kind, amount) for (day, kind), amount in collapsed.items())

    rows = []
    balance = 0
    day = start
    while day <= end:
        budget = compute_daily_budget(plan, known, day, carried)
        balance += budget.allowance_today - budget.spent_today
        rows.append(DayRow(day, budget.allowance_today, budget.spent_today, balance, day > on))
        day += ONE_DAY

    today = compute_daily_budget(plan, known, on, carried)
    variable_spent = today.summary("variable").actual
    pace_spend = variable_spent * days_in_period(start, end) // days_in_period(start, on)
    return Overview(
        on=on,
        period_start=start,
        period_end=end,
        rows=tuple(rows),
        variable_spent=variable_spent,
        projected_variable_spend=pace_spend,
        projected_left=today.plan_spendable + today.extra_income - today.fixed_overrun - pace_spend + carried,
    )

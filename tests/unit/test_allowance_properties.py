"""Property tests: the daily budget agrees with a deliberately naive reference.

The reference below shares no code with ``budget_core``: it finds period
boundaries by walking day by day and checking the clamped start-day rule, sums
raw transactions in plain loops, and floors with ``Fraction`` and ``math.floor``
instead of ``//``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import fields
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from budget_core.domain.allowance import (
    DailyBudget,
    DayTotal,
    KindSummary,
    PeriodTotal,
    Plan,
    carried_in,
    compute_daily_budget,
    month_overview,
)
from budget_core.domain.period import local_today, period_bounds

DAY = timedelta(days=1)
KIND_NAMES = ["fixed", "variable", "savings", "income"]
MAX_MONEY = 10**12
SETTINGS = settings(max_examples=300, deadline=None)


# --- the naive reference ----------------------------------------------------


def ref_days_in_month(year: int, month: int) -> int:
    day = date(year, month, 28)
    while (day + DAY).month == month:
        day += DAY
    return day.day


def ref_is_period_start(start_day: int, day: date) -> bool:
    return day.day == min(start_day, ref_days_in_month(day.year, day.month))


def ref_period(start_day: int, on: date) -> tuple[date, date]:
    start = on
    while not ref_is_period_start(start_day, start):
        start -= DAY
    after = on + DAY
    while not ref_is_period_start(start_day, after):
        after += DAY
    return start, after - DAY


def ref_count_days(first: date, last: date) -> int:
    count, day = 0, first
    while day <= last:
        count += 1
        day += DAY
    return count


def ref_floor_div(numerator: int, denominator: int) -> int:
    return math.floor(Fraction(numerator, denominator))


def ref_budget(plan: Plan, transactions, on: date, carried: int = 0, carry_over: bool = False) -> dict:
    """Every field of DailyBudget, computed from raw (day, kind, amount) triples (``carried``: what
    the period carries in)."""
    start, end = ref_period(plan.period_start_day, on)
    sums = {"fixed": 0, "variable": 0, "savings": 0, "income": 0}
    variable_today = 0
    for day, kind, amount in transactions:
        if day < start or day > on:
            continue
        sums[kind] = sums[kind] + amount
        if kind == "variable" and day == on:
            variable_today = variable_today + amount
    spendable = plan.monthly_income - plan.fixed_planned - plan.savings_goal
    extra = sums["income"] - plan.monthly_income if sums["income"] > plan.monthly_income else 0
    overrun = sums["fixed"] - plan.fixed_planned if sums["fixed"] > plan.fixed_planned else 0
    before = sums["variable"] - variable_today
    left_days = ref_count_days(on, end)
    allowance = ref_floor_div(spendable + extra - overrun - before + carried, left_days)
    next_start, next_end = ref_period(plan.period_start_day, end + DAY)
    planned = {
        "fixed": plan.fixed_planned,
        "variable": spendable,
        "savings": plan.savings_goal,
        "income": plan.monthly_income,
    }
    return {
        "on": on,
        "period_start": start,
        "period_end": end,
        "days_left": left_days,
        "plan_spendable": spendable,
        "extra_income": extra,
        "fixed_overrun": overrun,
        "variable_before_today": before,
        "allowance_today": allowance,
        "spent_today": variable_today,
        "left_today": allowance - variable_today,
        "spent_by_kind": tuple(KindSummary(k, planned[k], sums[k]) for k in KIND_NAMES),
        "savings_goal": plan.savings_goal,
        "saved": sums["savings"],
        "next_period_days": ref_count_days(next_start, next_end),
        "carried_in": carried,
        "carry_over": carry_over,
    }


def ref_carried_in(plan: Plan, transactions, on: date, since: date | None) -> int:
    """Carry-over walked day by day: from the first day of the period before the one containing
    ``since``, each day's amounts are added to its period's sums; on a period's last day its
    remainder (with what it carried in) becomes the next period's carried-in amount."""
    if since is None:
        return 0
    first_start, _ = ref_period(plan.period_start_day, since)
    current_start, _ = ref_period(plan.period_start_day, on)
    if current_start < first_start:
        return 0
    day, _ = ref_period(plan.period_start_day, first_start - DAY)
    carried = 0
    sums = {"fixed": 0, "variable": 0, "savings": 0, "income": 0}
    while day < current_start:
        for when, kind, amount in transactions:
            if when == day:
                sums[kind] = sums[kind] + amount
        if ref_is_period_start(plan.period_start_day, day + DAY):
            extra = sums["income"] - plan.monthly_income if sums["income"] > plan.monthly_income else 0
            overrun = sums["fixed"] - plan.fixed_planned if sums["fixed"] > plan.fixed_planned else 0
            spendable = plan.monthly_income - plan.fixed_planned - plan.savings_goal
            carried = spendable + extra - overrun - sums["variable"] + carried
            sums = {"fixed": 0, "variable": 0, "savings": 0, "income": 0}
        day = day + DAY
    return carried


# --- strategies -------------------------------------------------------------

money = st.one_of(st.integers(0, 10**6), st.integers(0, MAX_MONEY))
plans = st.builds(
    Plan,
    monthly_income=money,
    fixed_planned=money,
    savings_goal=money,
    period_start_day=st.integers(1, 31),
)
days = st.dates(min_value=date(2023, 1, 1), max_value=date(2029, 12, 31))
signed_money = st.one_of(
    st.integers(-(10**5), 10**6),  # everyday amounts and refunds
    st.integers(-MAX_MONEY, MAX_MONEY),
)


@st.composite
def transactions_around(draw, on: date, max_size: int = 40, latest: int = 40):
    """Raw (day, kind, amount) triples before, inside and after the period of ``on``."""
    offsets = st.integers(-70, latest)
    return draw(
        st.lists(
            st.tuples(offsets.map(lambda n: on + timedelta(days=n)), st.sampled_from(KIND_NAMES), signed_money),
            max_size=max_size,
        )
    )


def as_day_totals(transactions, aggregate: bool) -> list[DayTotal]:
    if not aggregate:
        return [DayTotal(day, kind, amount) for day, kind, amount in transactions]
    summed: dict[tuple[date, str], int] = defaultdict(int)
    for day, kind, amount in transactions:
        summed[(day, kind)] += amount
    return [DayTotal(day, kind, amount) for (day, kind), amount in summed.items()]


@st.composite
def scenarios(draw, latest: int = 40):
    plan = draw(plans)
    on = draw(days)
    transactions = draw(transactions_around(on, latest=latest))
    return plan, on, transactions, as_day_totals(transactions, draw(st.booleans()))


# --- properties -------------------------------------------------------------


@SETTINGS
@given(scenarios())
def test_every_field_of_the_daily_budget_matches_the_naive_reference(scenario):
    plan, on, transactions, totals = scenario
    budget = compute_daily_budget(plan, totals, on)
    expected = ref_budget(plan, transactions, on)
    assert {f.name for f in fields(DailyBudget)} == set(expected)
    for name, value in expected.items():
        assert getattr(budget, name) == value, name
    assert budget.over_by == max(0, -expected["left_today"])


@SETTINGS
@given(scenarios(), st.integers(-(10**6), MAX_MONEY))
def test_allowance_tomorrow_if_agrees_with_tomorrows_budget_after_spending(scenario, extra):
    plan, on, transactions, totals = scenario
    known = [t for t in totals if t.day <= on]  # nothing is recorded for tomorrow yet
    budget = compute_daily_budget(plan, known, on)
    tomorrow = on + DAY
    if budget.days_left > 1:
        after = [*known, DayTotal(on, "variable", extra)]
        assert budget.allowance_tomorrow_if(0) == compute_daily_budget(plan, known, tomorrow).allowance_today
        assert budget.allowance_tomorrow_if(extra) == compute_daily_budget(plan, after, tomorrow).allowance_today
    else:
        # Tomorrow opens a fresh period; nothing from today carries over.
        fresh = compute_daily_budget(plan, [], tomorrow)
        assert fresh.period_start == tomorrow
        assert budget.allowance_tomorrow_if(extra) == fresh.allowance_today


@SETTINGS
@given(scenarios())
def test_allowance_is_fixed_for_the_day_whatever_is_spent_today(scenario):
    plan, on, _, totals = scenario
    before = compute_daily_budget(plan, totals, on)
    after = compute_daily_budget(plan, [*totals, DayTotal(on, "variable", 12345)], on)
    assert after.allowance_today == before.allowance_today
    assert after.left_today == before.left_today - 12345


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_month_overview_rows_cover_the_period_and_agree_with_the_daily_budget(scenario):
    plan, on, transactions, totals = scenario
    start, end = ref_period(plan.period_start_day, on)
    overview = month_overview(plan, totals, on)
    assert (overview.period_start, overview.period_end) == (start, end)
    assert [row.day for row in overview.rows] == [start + DAY * i for i in range(ref_count_days(start, end))]

    known = [t for t in totals if t.day <= on]
    known_raw = [t for t in transactions if t[0] <= on]
    balance = 0
    for row in overview.rows:
        budget = compute_daily_budget(plan, known, row.day)
        assert row.allowance == budget.allowance_today == ref_budget(plan, known_raw, row.day)["allowance_today"]
        assert row.projected == (row.day > on)
        assert row.spent == (0 if row.projected else budget.spent_today)
        balance += row.allowance - row.spent
        assert row.balance == balance

    today = ref_budget(plan, transactions, on)
    variable_so_far = today["variable_before_today"] + today["spent_today"]
    pace = ref_floor_div(variable_so_far * ref_count_days(start, end), ref_count_days(start, on))
    assert overview.variable_spent == variable_so_far
    assert overview.projected_variable_spend == pace
    assert overview.projected_left == (today["plan_spendable"] + today["extra_income"] - today["fixed_overrun"] - pace)


@SETTINGS
@given(scenarios())
def test_month_overview_row_for_today_is_the_daily_budget(scenario):
    plan, on, _, totals = scenario
    overview = month_overview(plan, totals, on)
    budget = compute_daily_budget(plan, totals, on)
    (row,) = [r for r in overview.rows if r.day == on]
    assert (row.allowance, row.spent, row.projected) == (budget.allowance_today, budget.spent_today, False)


# --- carry-over ----------------------------------------------------------------


def as_period_totals(plan: Plan, transactions) -> list[PeriodTotal]:
    summed: dict[tuple[date, str], int] = defaultdict(int)
    for day, kind, amount in transactions:
        summed[(period_bounds(plan.period_start_day, day)[0], kind)] += amount
    return [PeriodTotal(start, kind, amount) for (start, kind), amount in summed.items()]


@st.composite
def carry_scenarios(draw):
    plan = draw(plans)
    since = draw(days)
    on = since + timedelta(days=draw(st.integers(-40, 160)))
    transactions = draw(
        st.lists(
            st.tuples(
                st.integers(-75, 170).map(lambda n: since + timedelta(days=n)),
                st.sampled_from(KIND_NAMES),
                signed_money,
            ),
            max_size=40,
        )
    )
    return plan, since, on, transactions


@SETTINGS
@given(carry_scenarios())
def test_carried_in_is_the_naive_day_by_day_running_balance(scenario):
    plan, since, on, transactions = scenario
    carried = carried_in(plan, as_period_totals(plan, transactions), on, since)
    assert carried == ref_carried_in(plan, transactions, on, since)
    assert carried_in(plan, as_period_totals(plan, transactions), on, None) == 0


@SETTINGS
@given(carry_scenarios())
def test_every_field_of_the_daily_budget_with_carry_over_matches_the_reference(scenario):
    plan, since, on, transactions = scenario
    carried = carried_in(plan, as_period_totals(plan, transactions), on, since)
    budget = compute_daily_budget(plan, as_day_totals(transactions, True), on, carried, carry_over=True)
    expected = ref_budget(plan, transactions, on, ref_carried_in(plan, transactions, on, since), True)
    for name, value in expected.items():
        assert getattr(budget, name) == value, name


@SETTINGS
@given(carry_scenarios(), st.integers(-(10**6), 10**9))
def test_on_the_last_day_tomorrow_carries_in_what_today_leaves(scenario, extra):
    plan, since, on, transactions = scenario
    _, end = period_bounds(plan.period_start_day, on)
    # carry-over is on by tomorrow's period (switched on later, tomorrow carries nothing in)
    assume(since <= period_bounds(plan.period_start_day, end + DAY)[1])
    known = [t for t in transactions if t[0] <= end]
    totals = as_period_totals(plan, known)
    carried = carried_in(plan, totals, end, since)
    today = compute_daily_budget(plan, as_day_totals(known, True), end, carried, carry_over=True)
    after = [*known, (end, "variable", extra)]
    tomorrow = end + DAY
    next_carried = carried_in(plan, as_period_totals(plan, after), tomorrow, since)
    assert next_carried == today.left_in_period - extra
    fresh = compute_daily_budget(plan, [], tomorrow, next_carried, carry_over=True)
    assert today.allowance_tomorrow_if(extra) == fresh.allowance_today


@settings(max_examples=200, deadline=None)
@given(
    carry_scenarios(),
    st.sampled_from(["America/New_York", "Europe/Berlin", "Australia/Sydney", "Pacific/Chatham", "UTC"]),
    st.integers(-36, 36),
)
def test_carry_over_on_the_familys_local_day_across_dst_changes(scenario, tz, hours):
    from datetime import datetime as dt
    from zoneinfo import ZoneInfo

    plan, since, _, transactions = scenario
    # an instant near a DST change of the year (late March / late October), as the family's clock reads it
    instant = dt(since.year, 3 if since.month < 7 else 10, 28, 12, tzinfo=ZoneInfo("UTC")) + timedelta(hours=hours)
    on = local_today(tz, instant)
    assert on == instant.astimezone(ZoneInfo(tz)).date()
    assert carried_in(plan, as_period_totals(plan, transactions), on, since) == ref_carried_in(
        plan, transactions, on, since
    )

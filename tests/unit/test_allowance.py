"""Worked examples of the daily budget, with the numbers written out (minor units)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date

import pytest

from budget_core.domain.allowance import (
    KINDS,
    DayTotal,
    KindSummary,
    Plan,
    compute_daily_budget,
    month_overview,
)
from budget_core.errors import ValidationError

D = date

# Income 5200.00, rent 1500.00, savings goal 600.00, period starts on the 1st.
PLAN = Plan(monthly_income=520000, fixed_planned=150000, savings_goal=60000, period_start_day=1)
APR_1 = D(2027, 4, 1)  # April: a 30-day period
PAYDAY = [DayTotal(APR_1, "income", 520000), DayTotal(APR_1, "fixed", 150000)]


def spend(day: date, amount: int, kind: str = "variable") -> DayTotal:
    return DayTotal(day, kind, amount)


def test_plan_spendable_is_income_minus_fixed_minus_savings():
    assert PLAN.plan_spendable == 310000


def test_first_day_allowance_is_plan_spendable_over_the_days_in_the_period():
    budget = compute_daily_budget(PLAN, PAYDAY, APR_1)
    assert (budget.period_start, budget.period_end) == (APR_1, D(2027, 4, 30))
    assert budget.days_left == 30
    assert budget.allowance_today == 310000 // 30 == 10333
    assert budget.left_today == 10333
    assert budget.extra_income == budget.fixed_overrun == budget.variable_before_today == 0


def test_spending_today_lowers_left_today_not_the_allowance():
    budget = compute_daily_budget(PLAN, [*PAYDAY, spend(APR_1, 1500)], APR_1)
    assert budget.allowance_today == 10333
    assert budget.spent_today == 1500
    assert budget.left_today == 10333 - 1500 == 8833
    assert budget.over_by == 0


def test_spending_today_counts_against_the_allowance_from_tomorrow():
    budget = compute_daily_budget(PLAN, [*PAYDAY, spend(APR_1, 1500)], D(2027, 4, 2))
    assert budget.variable_before_today == 1500
    assert budget.days_left == 29
    assert budget.allowance_today == (310000 - 1500) // 29 == 10637
    assert budget.spent_today == 0


def test_several_totals_for_the_same_day_and_kind_add_up():
    totals = [*PAYDAY, spend(APR_1, 1000), spend(APR_1, 500), spend(APR_1, 250)]
    assert compute_daily_budget(PLAN, totals, APR_1).spent_today == 1750


def test_a_refund_is_a_negative_expense_that_gives_money_back():
    totals = [*PAYDAY, spend(APR_1, 5000), spend(D(2027, 4, 2), -2000)]
    budget = compute_daily_budget(PLAN, totals, D(2027, 4, 3))
    assert budget.variable_before_today == 3000
    assert budget.allowance_today == (310000 - 3000) // 28 == 10964


def test_a_refund_today_raises_left_today_above_the_allowance():
    budget = compute_daily_budget(PLAN, [*PAYDAY, spend(APR_1, -2000)], APR_1)
    assert budget.allowance_today == 10333
    assert budget.spent_today == -2000
    assert budget.left_today == 12333


def test_savings_count_toward_the_goal_not_against_the_allowance():
    budget = compute_daily_budget(PLAN, [*PAYDAY, spend(APR_1, 60000, "savings")], D(2027, 4, 2))
    assert budget.allowance_today == 310000 // 29 == 10689
    assert budget.saved == 60000
    assert budget.savings_goal == 60000
    assert budget.summary("savings") == KindSummary("savings", planned=60000, actual=60000)


def test_fixed_spending_above_plan_is_an_overrun_that_lowers_the_allowance():
    totals = [*PAYDAY, spend(APR_1, 12000, "fixed")]  # utilities not in the plan
    budget = compute_daily_budget(PLAN, totals, APR_1)
    assert budget.fixed_overrun == 12000
    assert budget.allowance_today == (310000 - 12000) // 30 == 9933


def test_fixed_spending_below_plan_does_not_raise_the_allowance():
    totals = [DayTotal(APR_1, "income", 520000), spend(APR_1, 100000, "fixed")]
    budget = compute_daily_budget(PLAN, totals, APR_1)
    assert budget.fixed_overrun == 0
    assert budget.allowance_today == 10333


def test_income_beyond_monthly_income_is_extra_and_raises_the_allowance():
    totals = [*PAYDAY, DayTotal(APR_1, "income", 30000)]  # a bonus
    budget = compute_daily_budget(PLAN, totals, APR_1)
    assert budget.extra_income == 30000
    assert budget.allowance_today == 340000 // 30 == 11333


def test_recording_the_regular_salary_does_not_count_twice_and_missing_salary_does_not_lower_it():
    with_salary = compute_daily_budget(PLAN, PAYDAY, APR_1)
    without = compute_daily_budget(PLAN, [], APR_1)
    assert with_salary.extra_income == without.extra_income == 0
    assert with_salary.allowance_today == without.allowance_today == 10333


def test_transactions_dated_after_today_are_ignored():
    totals = [*PAYDAY, spend(D(2027, 4, 5), 99999), DayTotal(D(2027, 4, 3), "income", 500000)]
    budget = compute_daily_budget(PLAN, totals, D(2027, 4, 2))
    assert budget.allowance_today == 310000 // 29
    assert budget.extra_income == 0
    assert budget.summary("variable").actual == 0


def test_transactions_before_the_period_start_are_ignored():
    totals = [*PAYDAY, spend(D(2027, 3, 31), 50000), spend(D(2027, 3, 31), 90000, "fixed")]
    budget = compute_daily_budget(PLAN, totals, APR_1)
    assert budget.allowance_today == 10333
    assert budget.fixed_overrun == 0


def test_an_overspent_period_gives_a_negative_allowance_rounded_down():
    budget = compute_daily_budget(PLAN, [*PAYDAY, spend(APR_1, 400000)], D(2027, 4, 2))
    assert budget.allowance_today == -90000 // 29 == -3104  # floor, not toward zero
    assert budget.left_today == -3104
    assert budget.over_by == 3104


def test_over_by_is_how_far_todays_spending_exceeds_the_allowance():
    budget = compute_daily_budget(PLAN, [*PAYDAY, spend(APR_1, 15000)], APR_1)
    assert budget.left_today == 10333 - 15000
    assert budget.over_by == 4667


def test_last_day_of_the_period_gets_everything_that_is_left():
    totals = [*PAYDAY, spend(APR_1, 300000)]
    budget = compute_daily_budget(PLAN, totals, D(2027, 4, 30))
    assert budget.days_left == 1
    assert budget.allowance_today == 10000


def test_spent_by_kind_compares_plan_with_the_period_so_far_including_today():
    totals = [*PAYDAY, spend(APR_1, 2000), spend(D(2027, 4, 2), 700), spend(APR_1, 5000, "savings")]
    budget = compute_daily_budget(PLAN, totals, D(2027, 4, 2))
    assert budget.spent_by_kind == (
        KindSummary("fixed", planned=150000, actual=150000),
        KindSummary("variable", planned=310000, actual=2700),
        KindSummary("savings", planned=60000, actual=5000),
        KindSummary("income", planned=520000, actual=520000),
    )
    assert tuple(s.kind for s in budget.spent_by_kind) == KINDS


def test_allowance_tomorrow_if_includes_what_is_already_spent_today():
    budget = compute_daily_budget(PLAN, [*PAYDAY, spend(APR_1, 1500)], APR_1)
    assert budget.allowance_tomorrow_if(0) == (310000 - 1500) // 29 == 10637
    assert budget.allowance_tomorrow_if(2900) == (310000 - 1500 - 2900) // 29 == 10537


def test_allowance_tomorrow_if_on_the_last_day_is_a_fresh_period():
    budget = compute_daily_budget(PLAN, [*PAYDAY, spend(APR_1, 400000)], D(2027, 3, 31))
    assert budget.days_left == 1
    assert budget.next_period_days == 30  # April
    # Today's (even huge) spending does not carry into the new period.
    assert budget.allowance_tomorrow_if(0) == budget.allowance_tomorrow_if(10**9) == 310000 // 30


def test_yen_amounts_have_no_decimals():
    plan = Plan(monthly_income=400000, fixed_planned=120000, savings_goal=50000, period_start_day=25)
    budget = compute_daily_budget(plan, [DayTotal(D(2027, 2, 25), "variable", 3980)], D(2027, 2, 26))
    assert (budget.period_start, budget.period_end) == (D(2027, 2, 25), D(2027, 3, 24))
    assert budget.allowance_today == (230000 - 3980) // 27 == 8371


def test_kuwaiti_dinar_amounts_have_three_decimals():
    # 1,250.000 KWD income, 400.000 fixed, 150.000 savings; start day 31 in February 2027.
    plan = Plan(monthly_income=1250000, fixed_planned=400000, savings_goal=150000, period_start_day=31)
    budget = compute_daily_budget(plan, [DayTotal(D(2027, 2, 28), "variable", 12345)], D(2027, 2, 28))
    assert (budget.period_start, budget.period_end) == (D(2027, 2, 28), D(2027, 3, 30))
    assert budget.allowance_today == 700000 // 31 == 22580
    assert budget.left_today == 22580 - 12345


def test_very_large_incomes_stay_exact_integers():
    plan = Plan(monthly_income=10**12, fixed_planned=1, savings_goal=0, period_start_day=1)
    budget = compute_daily_budget(plan, [], D(2027, 1, 1))
    assert budget.allowance_today == (10**12 - 1) // 31 == 32258064516
    assert isinstance(budget.allowance_today, int)


def test_the_result_is_frozen_and_hashable():
    budget = compute_daily_budget(PLAN, PAYDAY, APR_1)
    with pytest.raises(FrozenInstanceError):
        budget.allowance_today = 0  # type: ignore[misc]
    assert hash(budget) == hash(compute_daily_budget(PLAN, PAYDAY, APR_1))


def test_totals_may_be_a_one_shot_iterator():
    budget = compute_daily_budget(PLAN, iter([*PAYDAY, spend(APR_1, 1500)]), APR_1)
    assert budget.spent_today == 1500


@pytest.mark.parametrize(
    "make",
    [
        lambda: Plan(520000.0, 0, 0, 1),
        lambda: Plan(-1, 0, 0, 1),
        lambda: Plan(1, 0, 0, 0),
        lambda: DayTotal(APR_1, "groceries", 100),
        lambda: DayTotal(APR_1, "variable", 1.5),
    ],
)
def test_floats_unknown_kinds_and_bad_start_days_are_rejected(make):
    with pytest.raises((TypeError, ValueError, ValidationError)):  # the start day: the one check_start_day
        make()


def test_month_overview_walks_the_period_with_running_balance_and_projection():
    plan = Plan(monthly_income=300000, fixed_planned=0, savings_goal=0, period_start_day=1)
    totals = [spend(APR_1, 20000), spend(D(2027, 4, 2), 5000), spend(D(2027, 4, 3), 1000)]
    totals.append(spend(D(2027, 4, 10), 77777))  # future: ignored
    overview = month_overview(plan, totals, D(2027, 4, 3))
    assert len(overview.rows) == 30
    first, second, third, fourth = overview.rows[:4]
    assert (first.allowance, first.spent, first.balance, first.projected) == (10000, 20000, -10000, False)
    assert (second.allowance, second.spent, second.balance) == (280000 // 29, 5000, -10000 + 9655 - 5000)
    assert (third.allowance, third.spent, third.balance) == (275000 // 28, 1000, -5345 + 9821 - 1000)
    assert (fourth.allowance, fourth.spent, fourth.balance, fourth.projected) == (274000 // 27, 0, 3476 + 10148, True)
    assert overview.rows[-1].day == D(2027, 4, 30) and overview.rows[-1].projected
    assert overview.variable_spent == 26000
    assert overview.projected_variable_spend == 26000 * 30 // 3 == 260000
    assert overview.projected_left == 300000 - 260000


def test_month_overview_projection_floors_refund_heavy_pace():
    plan = Plan(monthly_income=100, fixed_planned=0, savings_goal=0, period_start_day=1)
    overview = month_overview(plan, [spend(APR_1, -1)], D(2027, 4, 7))
    assert overview.projected_variable_spend == -30 // 7 == -5
    assert overview.projected_left == 105

"""The daily budget service on real Postgres: the same figures as the pure function, one query at
most, and a cache keyed by (family, version, date) so an answer is never stale."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from budget_core.domain.allowance import DayTotal, Plan, compute_daily_budget, month_overview
from budget_core.domain.period import local_today
from budget_core.errors import PermissionDenied
from budget_core.services import activity, budgets, categories, families
from budget_core.services.access import open_family
from budget_core.services.transactions import (
    TransactionChanges,
    TransactionDraft,
    add_transaction,
    delete_transaction,
    edit_transaction,
    list_transactions,
)

D = date
APRIL_5 = D(2026, 4, 5)


@contextmanager
def counting_queries(engine):
    """Collect every statement the engine sends while the block runs."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def spend(home, amount, category, day, description="Spending", *, by=None, refund=False, family=None):
    return add_transaction(
        open_family(home.engine, by or home.mom.id, family or home.family.id),
        TransactionDraft(amount, description, category, day, refund=refund),
    )


def april(home):
    """The worked example of DESIGN.md in April 2026 (USD; income 5,200, rent 1,500, savings 600)."""
    categories.add_category(open_family(home.engine, home.mom.id, home.family.id), "Coffee", parent="Dining")
    spend(home, 520000, "Salary", D(2026, 4, 1), "April salary")
    spend(home, 150000, "Housing", D(2026, 4, 1), "Rent")
    spend(home, 60000, "Savings", D(2026, 4, 2), "To the savings account")
    spend(home, 4500, "Groceries", D(2026, 4, 3), "Weekly shop", by=home.dad.id)
    spend(home, 500, "Groceries", D(2026, 4, 4), "Returned milk", refund=True)
    spend(home, 1500, "Dining", APRIL_5, "Lunch", by=home.dad.id)
    spend(home, 400, "Dining › Coffee", APRIL_5, "Flat white")
    spend(home, 3000, "Fun", D(2026, 4, 6), "Cinema (booked ahead)")  # after the day asked about: ignored
    spend(home, 9999, "Groceries", D(2026, 3, 31), "March shop")  # previous period: ignored
    spend(home, 7777, "Groceries", D(2026, 4, 3), "Eve's shop", by=home.eve.id, family=home.other.id)


def pure_budget(home, on: date):
    """The pure function fed straight from the stored rows (no SQL aggregation involved)."""
    fam = open_family(home.engine, home.mom.id, home.family.id).family
    fixed = sum(x.amount for x in families.list_fixed_expenses(open_family(home.engine, home.mom.id, home.family.id)))
    plan = Plan(fam.monthly_income, fixed, fam.savings_goal, fam.period_start_day)
    totals = [
        DayTotal(t.occurred_on, t.kind, t.amount)
        for t in list_transactions(open_family(home.engine, home.mom.id, fam.id))
    ]
    return plan, totals, compute_daily_budget(plan, totals, on)


def test_the_worked_example_through_the_services_gives_the_pure_functions_figures(home):
    april(home)
    result = budgets.daily_budget(home.access(), APRIL_5)
    b = result.budget
    assert b == pure_budget(home, APRIL_5)[2]
    assert (result.currency, result.version) == ("USD", activity.family_version(home.engine, home.family.id))
    assert (b.period_start, b.period_end, b.days_left) == (D(2026, 4, 1), D(2026, 4, 30), 26)
    assert b.plan_spendable == 520000 - 150000 - 60000 == 310000
    assert (b.extra_income, b.fixed_overrun) == (0, 0)
    assert b.variable_before_today == 4500 - 500
    assert b.allowance_today == (310000 - 4000) // 26 == 11769
    assert (b.spent_today, b.left_today) == (1900, 11769 - 1900)
    assert (b.savings_goal, b.saved) == (60000, 60000)


def test_extra_income_and_fixed_overrun_reach_the_allowance_through_the_services(home):
    april(home)
    spend(home, 10000, "Other income", D(2026, 4, 3), "Sold the bike")
    spend(home, 20000, "Utilities", D(2026, 4, 4), "Heating bill")  # no utilities were planned
    b = budgets.daily_budget(home.access(), APRIL_5).budget
    assert (b.extra_income, b.fixed_overrun) == (10000, 20000)
    assert b.allowance_today == (310000 + 10000 - 20000 - 4000) // 26 == 11384
    assert b == pure_budget(home, APRIL_5)[2]


def test_the_month_overview_through_the_service_matches_the_pure_overview(home):
    april(home)
    currency, overview = budgets.overview(home.access(), APRIL_5)
    plan, totals, _ = pure_budget(home, APRIL_5)
    assert currency == "USD"
    assert overview == month_overview(plan, totals, APRIL_5)
    assert len(overview.rows) == 30 and overview.rows[4].spent == 1900


def test_without_a_date_the_answer_is_for_today_in_the_familys_time_zone(home):
    before = local_today("America/New_York", datetime.now(UTC))
    result = budgets.daily_budget(home.access())
    after = local_today("America/New_York", datetime.now(UTC))
    assert result.budget.on in (before, after)


def test_a_late_evening_in_new_york_is_still_that_day_for_the_family(home):
    evening = datetime(2026, 4, 6, 3, 30, tzinfo=UTC)  # 23:30 on 5 April in New York
    result = budgets.daily_budget(home.access(), now=evening)
    assert result.budget.on == APRIL_5


def test_an_uncached_answer_costs_exactly_one_statement(home):
    april(home)
    budgets.clear_cache()
    access = home.access()
    with counting_queries(home.engine) as statements:
        budgets.daily_budget(access, APRIL_5)
    # budget_inputs() enters the family as the member (row-level security, membership) and reads the totals
    assert statements == ["SELECT * FROM budget_inputs(%(f)s, %(u)s, %(on)s)"]


def test_a_repeat_with_the_version_known_does_no_query(home):
    access = home.access()
    first = budgets.daily_budget(access, APRIL_5)
    with counting_queries(home.engine) as statements:
        again = budgets.daily_budget(access, APRIL_5, version=first.version)
        today = budgets.daily_budget(access, version=first.version, now=datetime(2026, 4, 5, 16, 0, tzinfo=UTC))
    assert statements == []
    assert again is first and today is first


def test_a_call_without_the_version_asks_the_database_so_it_is_never_stale(home):
    access = home.access()
    first = budgets.daily_budget(access, APRIL_5)
    spend(home, 2500, "Dining", APRIL_5, "Pizza")
    with counting_queries(home.engine) as statements:
        second = budgets.daily_budget(access, APRIL_5)
    assert len(statements) == 1  # the one budget_inputs() statement
    assert second.version == first.version + 1 and second.budget.spent_today == first.budget.spent_today + 2500


WRITES = {
    "an expense today": lambda h, tx: spend(h, 2500, "Dining", APRIL_5, "Pizza"),
    "an expense yesterday": lambda h, tx: spend(h, 2600, "Groceries", APRIL_5 - timedelta(days=1), "Shop"),
    "a refund": lambda h, tx: spend(h, 300, "Groceries", APRIL_5, "Bottle deposit", refund=True),
    "an edit": lambda h, tx: edit_transaction(
        open_family(h.engine, h.dad.id, h.family.id),
        tx.id,
        tx.row_version,
        TransactionChanges(9000, "Big lunch", "Dining", APRIL_5),
    ),
    "a delete": lambda h, tx: delete_transaction(open_family(h.engine, h.dad.id, h.family.id), tx.id, tx.row_version),
    "a new fixed expense": lambda h, tx: families.add_fixed_expense(
        open_family(h.engine, h.mom.id, h.family.id), "Internet", 5000
    ),
    "a plan change": lambda h, tx: families.update_plan(
        open_family(h.engine, h.mom.id, h.family.id), monthly_income=600000
    ),
    "a new period start day": lambda h, tx: families.update_plan(
        open_family(h.engine, h.mom.id, h.family.id), period_start_day=3
    ),
}


@pytest.mark.parametrize("write", WRITES)
def test_any_write_changes_the_version_and_the_next_call_sees_the_new_figure(home, write):
    lunch = spend(home, 1500, "Dining", APRIL_5, "Lunch", by=home.dad.id)
    before = budgets.daily_budget(home.access(), APRIL_5)

    WRITES[write](home, lunch)
    version = activity.family_version(home.engine, home.family.id)
    after = budgets.daily_budget(home.access(), APRIL_5, version=version)

    assert version == before.version + 1 and after.version == version
    assert after.budget != before.budget
    assert after.budget == pure_budget(home, APRIL_5)[2]


def test_a_stale_version_from_the_caller_still_reads_the_new_answer(home):
    before = budgets.daily_budget(home.access(), APRIL_5)
    budgets.clear_cache()  # the cache no longer holds the old version's answer
    spend(home, 2500, "Dining", APRIL_5, "Pizza")
    after = budgets.daily_budget(home.access(), APRIL_5, version=before.version)
    assert after.version == before.version + 1 and after.budget.spent_today == 2500


def test_the_cache_is_keyed_by_date(home):
    april(home)
    fifth = budgets.daily_budget(home.access(), APRIL_5)
    sixth = budgets.daily_budget(home.access(), APRIL_5 + timedelta(days=1), version=fifth.version)
    assert fifth.version == sixth.version
    assert (fifth.budget.on, sixth.budget.on) == (APRIL_5, APRIL_5 + timedelta(days=1))
    assert sixth.budget.spent_today == 3000 and fifth.budget.spent_today == 1900
    assert budgets.daily_budget(home.access(), APRIL_5, version=fifth.version) is fifth


def test_the_cache_never_hands_one_family_another_familys_answer_at_the_same_version(home):
    plan = dict(currency="USD", timezone="America/New_York", savings_goal=0, period_start_day=1)
    rich = families.create_family(home.engine, home.mom.id, name="Rich", monthly_income=900000, **plan)
    poor = families.create_family(home.engine, home.mom.id, name="Poor", monthly_income=90000, **plan)
    assert rich.version == poor.version
    a = budgets.daily_budget(home.access(family_id=rich.id), APRIL_5, version=rich.version)
    b = budgets.daily_budget(home.access(family_id=poor.id), APRIL_5, version=poor.version)
    assert (a.budget.allowance_today, b.budget.allowance_today) == (900000 // 26, 90000 // 26)


def _stats_moved(before: dict, after: dict) -> tuple[int, int]:
    return after["hits"] - before["hits"], after["misses"] - before["misses"]


def test_each_call_counts_one_hit_or_one_miss(home):
    budgets.clear_cache()
    s0 = budgets.cache_stats()
    first = budgets.daily_budget(home.access(), APRIL_5, version=1)  # an old version: a miss
    s1 = budgets.cache_stats()
    budgets.daily_budget(home.access(), APRIL_5, version=first.version)
    s2 = budgets.cache_stats()
    spend(home, 100, "Dining", APRIL_5, "Gum")
    budgets.daily_budget(home.access(), APRIL_5, version=first.version + 1)
    s3 = budgets.cache_stats()
    assert _stats_moved(s0, s1) == (0, 1)
    assert _stats_moved(s1, s2) == (1, 0)
    assert _stats_moved(s2, s3) == (0, 1)
    assert s3["hit_rate"] == pytest.approx(1 / 3)


def test_an_unknown_family_is_refused_in_the_words_of_any_other_familys(home):
    with pytest.raises(PermissionDenied, match="not a member of family 987654321"):
        budgets.daily_budget(home.access(family_id=987654321), APRIL_5)

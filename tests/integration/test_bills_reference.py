"""Property test on real Postgres: with bill payments recognised and linked, every figure of Today
still equals the naive day-by-day reference of tests/unit/test_allowance_properties.py — a linked
payment counting as fixed spending and never as everyday spending."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unit.test_allowance_properties import ref_budget

from budget_core.domain.allowance import Plan
from budget_core.services import accounts, budgets, families
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionDraft, add_transaction

BILLS = {"Rent": 150000, "Power": 11200}
CATEGORIES = {
    "Groceries": "variable",
    "Dining": "variable",
    "Housing": "fixed",
    "Savings": "savings",
    "Salary": "income",
}
DESCRIPTIONS = ["Rent December", "Power bill", "Lunch", "Weekly shop", "Rent"]
START = date(2026, 11, 1)
_people = itertools.count()

entries = st.lists(
    st.tuples(
        st.integers(0, 45),
        st.sampled_from(sorted(CATEGORIES)),
        st.sampled_from(DESCRIPTIONS),
        st.one_of(st.sampled_from(sorted(BILLS.values())), st.integers(100, 200000)),
    ),
    min_size=1,
    max_size=12,
)


def recognised(description: str, category: str, amount: int) -> bool:
    """The bill rule, stated plainly: an expense whose description names a bill (as a whole word) and
    whose amount is within 10 % of the bill's."""
    if CATEGORIES[category] not in ("fixed", "variable"):
        return False
    words = description.lower().split()
    return any(name.lower() in words and abs(amount - due) * 100 <= due * 10 for name, due in BILLS.items())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries, st.integers(1, 28), st.integers(0, 45))
def test_every_figure_on_today_equals_the_reference_when_bills_are_linked(engine, rows, start_day, on_offset):
    n = next(_people)
    user = accounts.create_user(engine, f"p{n}@example.com", f"P{n}", "correct horse battery")
    fam = families.create_family(
        engine,
        user.id,
        name=f"F{n}",
        currency="USD",
        timezone="UTC",
        monthly_income=520000,
        savings_goal=60000,
        period_start_day=start_day,
    )
    access = open_family(engine, user.id, fam.id)
    for name, amount in BILLS.items():
        families.add_fixed_expense(access, name, amount)
    raw = []
    for offset, category, description, amount in rows:
        day = START + timedelta(days=offset)
        tx = add_transaction(
            access, TransactionDraft(amount, description, category, day), now=datetime(2027, 1, 1, tzinfo=UTC)
        )
        kind = "fixed" if recognised(description, category, amount) else CATEGORIES[category]
        assert tx.kind == kind, (description, category, amount)
        assert (tx.bill is not None) == recognised(description, category, amount)
        raw.append((day, kind, amount))
    on = START + timedelta(days=on_offset)
    budgets.clear_cache()
    shown = budgets.daily_budget(access, on).budget
    expected = ref_budget(Plan(520000, sum(BILLS.values()), 60000, start_day), raw, on)
    for name, value in expected.items():
        assert getattr(shown, name) == value, name

"""Plan & categories page pieces. Managers edit; members see the same facts read-only.

The services check the role again on every write; hiding the forms is only a courtesy.
"""

from __future__ import annotations

import streamlit as st

from budget_core.domain.money import decimal_string, parse_amount
from budget_core.errors import ValidationError
from budget_core.services import budgets, categories, families
from budget_core.services.categories import Category
from budget_core.services.families import FixedExpense

from .errors import shown_errors
from .format import KIND_LABELS, inert, money_html
from .inputs import currency_choices, plan_amount, timezone_names
from .keys import done as _done
from .widgets import table


def plan_summary(ctx) -> None:
    family = ctx.family
    budget = budgets.daily_budget(ctx.access, version=family.version).budget
    rows = [
        ["Monthly income", money_html(family.monthly_income, family.currency)],
        ["Fixed expenses", money_html(budget.summary("fixed").planned, family.currency)],
        ["Left for everyday spending", money_html(budget.plan_spendable, family.currency)],
        ["Savings goal", money_html(family.savings_goal, family.currency)],
        ["Period starts on day", str(family.period_start_day)],
        ["Currency", inert(family.currency)],
        ["Time zone", inert(family.timezone)],
    ]
    table(["", ""], rows, numeric=(1,), test_id="fb-plan")


def plan_form(ctx) -> None:
    f = ctx.family
    zones = timezone_names()
    with st.form("plan", enter_to_submit=False):
        name = st.text_input("Family name", value=f.name)
        c1, c2 = st.columns(2)
        income = c1.text_input("Monthly income", value=decimal_string(f.monthly_income, f.currency))
        savings = c2.text_input("Savings goal per period", value=decimal_string(f.savings_goal, f.currency))
        start_day = c1.number_input("Period starts on day", 1, 31, f.period_start_day)
        currencies = currency_choices(f.currency)
        currency = c2.selectbox(
            "Currency",
            currencies,
            index=currencies.index(f.currency),
            help="Changing it does not convert amounts already recorded.",
        )
        timezone = st.selectbox("Time zone", zones, index=zones.index(f.timezone) if f.timezone in zones else 0)
        submitted = st.form_submit_button("Save plan", type="primary")
    if not submitted:
        return
    with shown_errors():
        saved = families.update_plan(
            ctx.access,
            name=name,
            currency=currency,
            timezone=timezone,
            period_start_day=int(start_day),
            monthly_income=plan_amount(income, currency, "monthly income"),
            savings_goal=plan_amount(savings, currency, "savings goal"),
        )
        if saved.version == f.version:
            st.info("Nothing changed.")
            return
        _done("Plan saved")


def fixed_expenses(ctx, fixed: list[FixedExpense], editable: bool) -> None:
    cur = ctx.currency
    if not fixed:
        st.caption("No fixed expenses planned yet.")
    else:
        table(
            ["Fixed expense", "Per period"],
            [[inert(f.name), money_html(f.amount, cur)] for f in fixed],
            numeric=(1,),
            test_id="fb-fixed",
        )
    if editable and fixed:
        by_id = {f.id: f for f in fixed}
        c1, c2 = st.columns([3, 1.2], vertical_alignment="bottom")
        gone = c1.selectbox(
            "Remove a fixed expense",
            list(by_id),
            index=None,
            placeholder="Choose one…",
            format_func=lambda i: by_id[i].name,
            key="fixed_remove_pick",
        )
        if c2.button("Remove", key="fixed_remove", disabled=gone is None, icon=":material/delete:"):
            with shown_errors():
                families.remove_fixed_expense(ctx.access, gone)
                _done(f"Removed {by_id[gone].name}")
    if not editable:
        return
    with st.form("add_fixed", clear_on_submit=False, enter_to_submit=True):
        c1, c2 = st.columns([3, 2])
        name = c1.text_input("Fixed expense", placeholder="Rent", key="fixed_name")
        amount = c2.text_input("Amount per period", placeholder="1500", key="fixed_amount")
        add = st.form_submit_button("Add fixed expense")
    if add:
        with shown_errors():
            families.add_fixed_expense(ctx.access, name, parse_amount(amount, cur))
            _done(f"Added {name}")


def categories_list(cats: list[Category]) -> None:
    rows = [
        [
            inert(c.label),
            inert(KIND_LABELS[c.kind]),
            '<span class="fb-pill">archived</span>' if c.archived else "",
        ]
        for c in cats
    ]
    table(["Category", "Kind", ""], rows, test_id="fb-categories")


def categories_manager(ctx, cats: list[Category]) -> None:
    by_id = {c.id: c for c in cats}
    with st.form("add_category", enter_to_submit=True):
        st.markdown("**Add a category**")
        c1, c2, c3 = st.columns(3)
        name = c1.text_input("Name", key="cat_new_name")
        kind = c2.selectbox("Kind", list(KIND_LABELS), format_func=KIND_LABELS.get, key="cat_new_kind")
        parents = [c.id for c in cats if c.parent_id is None and not c.archived]
        parent = c3.selectbox(
            "Under (optional)",
            [None] + parents,
            key="cat_new_parent",
            format_func=lambda i: "— top level —" if i is None else by_id[i].label,
            help="A subcategory takes its parent's kind.",
        )
        add = st.form_submit_button("Add category")
    if add:
        with shown_errors():
            categories.add_category(ctx.access, name, None if parent else kind, parent)
            _done(f"Added {name}")
    st.markdown("**Change a category**")
    pick = st.selectbox(
        "Category",
        list(by_id),
        index=None,
        placeholder="Choose a category…",
        format_func=lambda i: by_id[i].label + (" (archived)" if by_id[i].archived else ""),
        key="cat_pick",
    )
    if pick is None:
        return
    cat = by_id[pick]
    c1, c2 = st.columns([3, 1.3], vertical_alignment="bottom")
    new_name = c1.text_input("New name", value=cat.name, key=f"cat_rename_{cat.id}")
    if c2.button("Rename", key=f"cat_rename_btn_{cat.id}"):
        with shown_errors():
            if new_name.strip() == cat.name:
                raise ValidationError("Type a new name first.")
            categories.rename_category(ctx.access, cat.id, new_name)
            _done(f"Renamed {cat.name} to {new_name}")
    label = "Restore" if cat.archived else "Archive"
    if st.button(
        label,
        key=f"cat_archive_{cat.id}",
        help="Archived categories keep their past transactions but leave the entry forms.",
    ):
        with shown_errors():
            categories.archive_category(ctx.access, cat.id, archived=not cat.archived)
            _done(f"{'Restored' if cat.archived else 'Archived'} {cat.label}")

"""Plan & categories page pieces. Managers edit; members see the same facts read-only.

Every amount typed here goes through ``parse_amount`` (as in every other box), and the plan shows
what it understood — income, fixed expenses, savings and what that leaves for everyday spending —
before it is saved. Fixed expenses are edited in place. The services check the role again on
every write; hiding the forms is only a courtesy.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from budget_core.domain import locale as loc
from budget_core.domain.money import check_currency, parse_amount
from budget_core.domain.period import days_in_period, period_bounds
from budget_core.errors import ValidationError
from budget_core.services import budgets, categories, families
from budget_core.services.categories import Category
from budget_core.services.families import FixedExpense

from .errors import shown_errors
from .format import KIND_LABELS, Fmt, html_escape, inert, md_escape
from .inputs import currency_choices, plan_amount, timezone_names
from .keys import done as _done
from .widgets import table


def plan_summary(ctx) -> None:
    family, fmt = ctx.family, ctx.fmt
    budget = budgets.daily_budget(ctx.access, version=family.version).budget
    rows = [
        ["Monthly income", fmt.money_html(family.monthly_income)],
        ["Fixed expenses", fmt.money_html(budget.summary("fixed").planned)],
        ["Left for everyday spending", fmt.money_html(budget.plan_spendable)],
        ["Savings goal", fmt.money_html(family.savings_goal)],
        ["Period starts on day", str(family.period_start_day)],
        ["Currency", html_escape(family.currency)],
        ["Time zone", html_escape(family.timezone)],
        ["Money is written", html_escape(f"{loc.display_name(ctx.locale)} · {fmt.money(123456)}")],
    ]
    table(["", ""], rows, numeric=(1,), test_id="fb-plan")


def plan_preview(
    fmt: Fmt, income: int, fixed: int, savings: int, start_day: int, today: date, fixed_names: str = ""
) -> None:
    """What the plan as typed means: income − fixed − savings = everyday spending, a period and a day."""
    start, end = period_bounds(start_day, today)
    days = days_in_period(start, end)
    everyday = income - fixed - savings
    fixed_words = f"fixed expenses {fmt.money(fixed)}" + (f" ({fixed_names})" if fixed_names else "")
    before = f"Understood: income {fmt.money(income)} − {fixed_words} − savings {fmt.money(savings)} ="
    after = "a period for everyday spending" + (f", about {fmt.money(everyday // days)} a day." if everyday > 0 else "")
    html = f"{md_escape(before)} **{md_escape(fmt.money(everyday))}** {md_escape(after)}"  # typed names stay inert
    box = st.container(border=True, key="fb_plan_preview")
    box.markdown(html)
    if everyday <= 0:
        box.warning(
            "Fixed expenses and savings take all of the income: the daily allowance would be zero or less.",
            icon=":material/warning:",
        )


def locale_picker(label: str, current: str, currency: str, key: str) -> str:
    """A choice of how money and dates are written, each shown with an example amount."""
    choices = loc.locale_choices(current)

    def shown(code: str) -> str:
        try:
            example = Fmt(currency, code).money(123456)
        except (ValueError, ValidationError):
            example = ""
        return f"{loc.display_name(code)} · {example}"

    return st.selectbox(
        label,
        choices,
        index=choices.index(current),
        format_func=shown,
        key=key,
        help="How amounts and dates are written for the whole family. The words stay English.",
    )


def plan_form(ctx) -> None:
    """The plan, changed in place; what it would mean is shown before it is saved."""
    f = ctx.family
    zones = timezone_names()
    name = st.text_input("Family name", value=f.name, key="plan_name")
    c1, c2 = st.columns(2)
    currencies = currency_choices(f.currency)
    currency = c2.selectbox(
        "Currency",
        currencies,
        index=currencies.index(f.currency),
        help="Changing it does not convert amounts already recorded.",
        key="plan_currency",
    )
    income_text = c1.text_input("Monthly income", value=ctx.fmt.typed(f.monthly_income), key="plan_income")
    savings_text = c2.text_input("Savings goal per period", value=ctx.fmt.typed(f.savings_goal), key="plan_savings")
    start_day = c1.number_input("Period starts on day", 1, 31, f.period_start_day, key="plan_start_day")
    timezone = st.selectbox(
        "Time zone", zones, index=zones.index(f.timezone) if f.timezone in zones else 0, key="plan_timezone"
    )
    chosen_locale = locale_picker("Money and dates are written", ctx.locale, currency, "plan_locale")
    parsed = None
    try:
        code = check_currency(currency)
        income = plan_amount(income_text, code, "monthly income")
        savings = plan_amount(savings_text, code, "savings goal")
        parsed = (income, savings)
    except ValidationError as err:
        st.error(err.message, icon=":material/error:")
    if parsed is not None:
        fixed = families.list_fixed_expenses(ctx.access)
        plan_preview(
            Fmt(currency, chosen_locale, f.timezone),
            parsed[0],
            sum(x.amount for x in fixed),
            parsed[1],
            int(start_day),
            ctx.today,
        )
    if not st.button("Save plan", type="primary", key="plan_save", disabled=parsed is None):
        return
    assert parsed is not None
    with shown_errors():
        changes = dict(
            name=name,
            currency=currency,
            timezone=timezone,
            period_start_day=int(start_day),
            monthly_income=parsed[0],
            savings_goal=parsed[1],
        )
        if f.locale_setting or chosen_locale != ctx.locale:  # the derived default stays derived until chosen
            changes["locale"] = chosen_locale
        saved = families.update_plan(ctx.access, **changes)
        if saved.version == f.version:
            st.info("Nothing changed.")
            return
        _done("Plan saved")


def fixed_expenses(ctx, fixed: list[FixedExpense], editable: bool) -> None:
    fmt = ctx.fmt
    if not fixed:
        st.caption("No fixed expenses planned yet.")
    elif not editable:
        table(
            ["Fixed expense", "Per period"],
            [[html_escape(f.name), fmt.money_html(f.amount)] for f in fixed],
            numeric=(1,),
            test_id="fb-fixed",
            footer=["Total", fmt.money_html(sum(f.amount for f in fixed))],
        )
    if not editable:
        return
    if fixed:
        _fixed_in_place(ctx, fixed)
    with st.form("add_fixed", clear_on_submit=False, enter_to_submit=True):
        c1, c2 = st.columns([3, 2])
        name = c1.text_input("Fixed expense", placeholder="Rent", key="fixed_name")
        amount = c2.text_input("Amount per period", placeholder="1500", key="fixed_amount")
        add = st.form_submit_button("Add fixed expense")
    if add:
        with shown_errors():
            families.add_fixed_expense(ctx.access, name, parse_amount(amount, ctx.currency))
            _done(f"Added {name}")


def _fixed_in_place(ctx, fixed: list[FixedExpense]) -> None:
    """The fixed expenses as an editable table: change a name or an amount, then save."""
    fmt = ctx.fmt
    shown = pl.DataFrame(
        {"id": [f.id for f in fixed], "Name": [f.name for f in fixed], "Amount": [fmt.typed(f.amount) for f in fixed]}
    )
    edited = st.data_editor(
        shown,
        hide_index=True,
        width="stretch",
        num_rows="fixed",
        disabled=["id"],
        column_config={
            "id": None,
            "Name": st.column_config.TextColumn("Fixed expense", required=True, max_chars=80),
            "Amount": st.column_config.TextColumn(
                f"Per period ({ctx.currency})", required=True, alignment="right", help="Typed as in any amount box"
            ),
        },
        key=f"fixed_editor_{ctx.family.version}",
    )
    total = sum(f.amount for f in fixed)
    st.caption(md_escape(f"Total {fmt.money(total)} a period. Change a name or an amount in the table, then save."))
    by_id = {f.id: f for f in fixed}
    changed = [
        (row["id"], row["Name"], row["Amount"])
        for row in edited.iter_rows(named=True)
        if (row["Name"], row["Amount"]) != (by_id[row["id"]].name, fmt.typed(by_id[row["id"]].amount))
    ]
    c1, c2, c3 = st.columns([1.4, 2, 1], vertical_alignment="bottom")
    save = c1.button("Save changes", key="fixed_save", disabled=not changed, type="primary" if changed else "secondary")
    if save:
        with shown_errors():
            parsed = []
            for fixed_id, name, amount in changed:  # every row is read before anything is written
                try:
                    parsed.append((fixed_id, name, parse_amount(amount or "", ctx.currency)))
                except ValidationError as err:
                    raise ValidationError(f"{by_id[fixed_id].name}: {err.message}") from None
            for fixed_id, name, minor in parsed:
                families.update_fixed_expense(ctx.access, fixed_id, name, minor)
            _done("Saved the fixed expenses")
    gone = c2.selectbox(
        "Remove a fixed expense",
        list(by_id),
        index=None,
        placeholder="Choose one…",
        format_func=lambda i: by_id[i].name,
        key="fixed_remove_pick",
    )
    if c3.button("Remove", key="fixed_remove", disabled=gone is None, icon=":material/delete:"):
        with shown_errors():
            families.remove_fixed_expense(ctx.access, gone)
            _done(f"Removed {by_id[gone].name}")


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

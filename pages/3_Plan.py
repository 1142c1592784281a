"""Plan & categories: income, savings goal, period, carry-over, bills, recurring entries, targets, categories."""

import streamlit as st

from budget_app.bill_views import (
    bills_section,
    period_choice,
    schedules_section,
    targets_section,
    tolerance_and_carry_over,
)
from budget_app.errors import page_errors, shown_errors
from budget_app.frame import frame
from budget_app.plan_views import categories_list, categories_manager, plan_form, plan_summary
from budget_core.services import categories

ctx = frame("Plan & categories")

with page_errors():
    st.markdown("## Plan & categories")
    if not ctx.is_manager:
        st.info("Only managers can change the plan and the categories; here is how it stands.", icon=":material/lock:")
    with shown_errors():
        cats = categories.list_categories(ctx.access, include_archived=ctx.is_manager)
        plan_col, bills_col = st.columns(2, gap="large")
        with plan_col:
            st.markdown("#### The plan")
            if ctx.is_manager:
                plan_form(ctx)
            else:
                plan_summary(ctx)
            tolerance_and_carry_over(ctx)
        with bills_col:
            st.markdown("#### Bills")
            bills_section(ctx, period_choice(ctx))
        st.markdown("#### Recurring entries")
        schedules_section(ctx, cats)
        st.markdown("#### Category targets")
        targets_section(ctx, cats, ctx.today)
        st.markdown("#### Categories")
        if ctx.is_manager:
            categories_manager(ctx, cats)
        categories_list(cats)

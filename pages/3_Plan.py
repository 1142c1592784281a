"""Plan & categories: income, savings goal, period, currency, time zone, fixed expenses, categories."""

import streamlit as st

from budget_app.errors import page_errors, shown_errors
from budget_app.frame import frame
from budget_app.plan_views import categories_list, categories_manager, fixed_expenses, plan_form, plan_summary
from budget_core.services import categories, families

ctx = frame("Plan & categories")

with page_errors():
    st.markdown("## Plan & categories")
    if not ctx.is_manager:
        st.info("Only managers can change the plan and the categories; here is how it stands.", icon=":material/lock:")
    with shown_errors():
        fixed = families.list_fixed_expenses(ctx.access)
        cats = categories.list_categories(ctx.access, include_archived=ctx.is_manager)
        plan_col, fixed_col = st.columns(2, gap="large")
        with plan_col:
            st.markdown("#### The plan")
            if ctx.is_manager:
                plan_form(ctx)
            else:
                plan_summary(ctx)
        with fixed_col:
            st.markdown("#### Fixed expenses")
            fixed_expenses(ctx, fixed, editable=ctx.is_manager)
        st.markdown("#### Categories")
        if ctx.is_manager:
            categories_manager(ctx, cats)
        categories_list(cats)

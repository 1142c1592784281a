"""Today: how much can the family still spend today? (the home page; `streamlit run app.py`)."""

from datetime import date

import streamlit as st

from budget_app.errors import page_errors, shown_errors
from budget_app.format import md_escape
from budget_app.frame import entry_form, frame
from budget_app.keys import FLASH, REFRESH
from budget_app.quick_entry import SAVED
from budget_app.widgets import allowance_card, chart, kinds_table, stat_tiles
from budget_core.analytics.today import today_charts
from budget_core.domain.money import parse_amount
from budget_core.errors import ValidationError
from budget_core.services import budgets

FIGURES = "fb_today"

ctx = frame("Today")
fmt = ctx.fmt


@st.fragment(key=FIGURES)
def figures() -> None:
    """The headline, the phone's entry form, the tiles and the what-if: redrawn alone after a save."""
    with shown_errors():
        # Right after this person's own save the family's version is new: read it (one query).
        version = None if st.session_state.get(SAVED) else ctx.family.version
        b = budgets.daily_budget(ctx.access, version=version).budget
        allowance_card(b, fmt)
        flash = st.session_state.pop(FLASH, None)  # "Saved: $12.00 · Lunch", with the figures it changed
        if flash:
            st.toast(md_escape(flash), icon=":material/check_circle:")
        with st.container(key="fb_phone_entry"):
            entry_form(ctx, "main")
        stat_tiles(
            [
                ("Left this period", fmt.money_html(b.pool - b.spent_today), "fb-left-period"),
                (f"Days left, to {fmt.day(b.period_end)}", str(b.days_left), "fb-days-left"),
            ]
        )
        typed = st.text_input(f"If we spend this much more today ({ctx.currency})", key="what_if", placeholder="0.00")
        try:
            extra = parse_amount(typed, ctx.currency) if typed.strip() else 0
        except ValidationError as err:
            st.caption(md_escape(err.message))
        else:
            tomorrow = b.allowance_tomorrow_if(extra)
            st.markdown(
                f'<p data-testid="fb-what-if">…tomorrow we can spend <b>{fmt.money_html(tomorrow)}</b> a day.</p>',
                unsafe_allow_html=True,
            )


with page_errors():
    with shown_errors():
        fb = budgets.daily_budget(ctx.access, version=ctx.family.version)
        b = fb.budget
        st.markdown("## Today")
        next_start = b.period_end.toordinal() + 1
        st.caption(
            md_escape(
                f"{fmt.day(b.on)} · {b.days_left} {'day' if b.days_left == 1 else 'days'} left in this period · "
                f"a new one starts {fmt.day(date.fromordinal(next_start))} with {fmt.money(b.plan_spendable)} "
                "for everyday spending"
            )
        )
        st.session_state[REFRESH] = [FIGURES]
        left, right = st.columns([1, 1.35], gap="large")
        with left:
            figures()
        with right:
            daily_chart, category_chart = today_charts(ctx.access, b.on, version=fb.version, locale=ctx.locale)
            chart(daily_chart, "daily")
            chart(category_chart, "category")

        st.markdown("#### This period, planned against actual")
        kinds_table(b, fmt)
        if b.savings_goal:
            share = max(0.0, min(1.0, b.saved / b.savings_goal))
            st.progress(
                share,
                text=f"Saved {md_escape(fmt.money(b.saved))} of {md_escape(fmt.money(b.savings_goal))} this period",
            )

"""Today: how much can the family still spend today? (the home page; `streamlit run app.py` serves it).

The page's body is four fragments. The headline (``TODAY``: the day, the figure, the allowance) is
what a change redraws first: after this person's own save (the frame's ``REFRESH``) and when
another member changes something (the change wakes this session by rerunning it alone,
``poller.redraw_on_change``) — never the frame or the sidebar. The notes, tiles and phone form
beside it, the charts and the plan table follow a moment later (``wake.follow_up``), so the figure
a person is waiting for is not drawn in the same instant as two charts on every screen.
"""

from datetime import date

import streamlit as st

from budget_app import poller, wake
from budget_app.errors import page_errors, shown_errors
from budget_app.format import inert
from budget_app.frame import PAGE_ENTRY_FRAGMENT, entry_form, frame
from budget_app.keys import FLASH, REFRESH
from budget_app.quick_entry import SAVED
from budget_app.today_notes import needs_category, today_notes
from budget_app.widgets import allowance_card, chart, kinds_table, stat_tiles
from budget_core.analytics.today import today_charts
from budget_core.domain.money import parse_amount
from budget_core.errors import ValidationError
from budget_core.services import budgets, deliveries

TODAY = "fb_today"  # the headline: woken first
TODAY_CHARTS = "fb_today_charts"
TODAY_PLAN = "fb_today_plan"

ctx = frame("Today")
fmt = ctx.fmt


def what_if(b) -> None:
    typed = st.text_input(
        f"If we spend this much more today ({ctx.currency})", key="what_if", placeholder=ctx.fmt.typed(0)
    )
    try:
        extra = parse_amount(typed, ctx.currency) if typed.strip() else 0
    except ValidationError as err:
        st.caption(inert(err.message))
    else:
        tomorrow = b.allowance_tomorrow_if(extra)
        st.markdown(
            f'<p data-testid="fb-what-if">…tomorrow we can spend <b>{fmt.money_html(tomorrow)}</b> a day.</p>',
            unsafe_allow_html=True,
        )


def sent_offline(ctx) -> None:
    """'3 entries sent': what this device's app shell delivered since this page last said so."""
    sent = deliveries.take_sent(ctx.access.engine, ctx.session_id) if ctx.session_id else 0
    if sent:
        st.session_state["fb_sent_offline"] = st.session_state.get("fb_sent_offline", 0) + sent
    shown = st.session_state.get("fb_sent_offline", 0)
    if shown:
        st.success(
            f"{shown} {'entry' if shown == 1 else 'entries'} sent: typed on this device without a connection, "
            "now in the family's budget.",
            icon=":material/cloud_done:",
        )


@st.fragment(key=TODAY)
def headline() -> None:
    """What a glance needs: the day, the headline figure and today's allowance. The first thing
    redrawn after any change; the fragments below follow it (``wake.follow_up``)."""
    with page_errors():
        with shown_errors():
            version: int | None = poller.redraw_on_change(ctx.access)
            if st.session_state.get(SAVED):  # right after this person's own save: read the new version
                version = None
            b = budgets.daily_budget(ctx.access, version=version).budget
            wake.follow_up()
            next_start = date.fromordinal(b.period_end.toordinal() + 1)
            st.caption(
                inert(
                    f"{fmt.day(b.on)} · {b.days_left} {'day' if b.days_left == 1 else 'days'} left in this period · "
                    f"a new one starts {fmt.day(next_start)} with {fmt.money(b.plan_spendable)} "
                    "for everyday spending"
                )
            )
            allowance_card(b, fmt)
            flash = st.session_state.pop(FLASH, None)  # "Saved: $12.00 · Lunch", with the figures it changed
            if flash:
                st.toast(inert(flash), icon=":material/check_circle:")


def _drawn():
    """The day's budget as stored now (the version is read again: after this person's own save the
    headline may have drawn a version the poller has not heard of yet); cached by that version."""
    wake.redraw_after()
    return budgets.daily_budget(ctx.access)


@st.fragment(key=PAGE_ENTRY_FRAGMENT)
def beside() -> None:
    """Under the headline: notes, the phone's entry form, the period's tiles and the what-if."""
    with page_errors():
        with shown_errors():
            b = _drawn().budget
            today_notes(ctx, b)
            with st.container(key="fb_phone_entry"):
                entry_form(ctx, "main")
            stat_tiles(
                [
                    ("Left this period", fmt.money_html(b.pool - b.spent_today), "fb-left-period"),
                    (f"Days left, to {fmt.day(b.period_end)}", str(b.days_left), "fb-days-left"),
                ]
            )
            what_if(b)


@st.fragment(key=TODAY_CHARTS)
def charts() -> None:
    with page_errors():
        with shown_errors():
            fb = _drawn()
            daily_chart, category_chart = today_charts(ctx.access, fb.budget.on, version=fb.version, locale=ctx.locale)
            chart(daily_chart, "daily")
            chart(category_chart, "category")


@st.fragment(key=TODAY_PLAN)
def plan_table() -> None:
    """Rows waiting for a category, and the period planned against actual."""
    with page_errors():
        with shown_errors():
            b = _drawn().budget
            needs_category(ctx, b.on)
            st.markdown("#### This period, planned against actual")
            kinds_table(b, fmt)
            if b.savings_goal:
                share = max(0.0, min(1.0, b.saved / b.savings_goal))
                st.progress(
                    share,
                    text=f"Saved {inert(fmt.money(b.saved))} of {inert(fmt.money(b.savings_goal))} this period",
                )


st.session_state[REFRESH] = [TODAY]
sent_offline(ctx)  # once per page run, not on every wake of the figures below
st.markdown("## Today")
left, right = st.columns([1, 1.35], gap="large")
with left:
    headline()
    beside()
with right:
    charts()
plan_table()

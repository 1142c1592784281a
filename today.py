"""Today: how much can the family still spend today? (the home page; `streamlit run app.py` serves it)."""

import streamlit as st

from budget_app import poller
from budget_app.errors import page_errors, shown_errors
from budget_app.format import inert, money, money_html
from budget_app.frame import frame
from budget_app.today_notes import needs_category, today_notes
from budget_app.widgets import allowance_card, chart, kinds_table, stat_tiles
from budget_core.analytics.today import today_charts
from budget_core.domain.money import parse_amount
from budget_core.errors import ValidationError
from budget_core.services import budgets, deliveries

ctx = frame("Today")


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


@st.fragment
def today() -> None:
    """Today's figures; when the family changes, only this reruns (``poller.redraw_on_change``)."""
    with page_errors():
        with shown_errors():
            version = poller.redraw_on_change(ctx.access)
            fb = budgets.daily_budget(ctx.access, version=version)
            b, cur = fb.budget, fb.currency
            st.markdown("## Today")
            st.caption(
                f"{b.on:%A %-d %B} · period {b.period_start:%-d %b} – {b.period_end:%-d %b} · "
                f"{b.days_left} {'day' if b.days_left == 1 else 'days'} left"
            )
            left, right = st.columns([1, 1.35], gap="large")
            with left:
                allowance_card(b, cur)
                today_notes(ctx, b, cur)
                stat_tiles(
                    [
                        ("Spent today", money_html(b.spent_today, cur), "fb-spent-today"),
                        (
                            "Over by" if b.over_by else "Left today",
                            money_html(b.over_by if b.over_by else b.left_today, cur),
                            "fb-left-today",
                        ),
                        ("Days left", str(b.days_left), "fb-days-left"),
                    ]
                )
                typed = st.text_input(f"If we spend this much more today ({cur})", key="what_if", placeholder="0.00")
                try:
                    extra = parse_amount(typed, cur) if typed.strip() else 0
                except ValidationError as err:
                    st.caption(inert(err.message))
                else:
                    tomorrow = b.allowance_tomorrow_if(extra)
                    st.markdown(
                        f'<p data-testid="fb-what-if">…tomorrow we can spend <b>{money_html(tomorrow, cur)}</b> a day.</p>',
                        unsafe_allow_html=True,
                    )
            with right:
                daily_chart, category_chart = today_charts(ctx.access, b.on, version=fb.version)
                chart(daily_chart)
                chart(category_chart)

            needs_category(ctx, b.on)
            st.markdown("#### This period, planned against actual")
            kinds_table(b, cur)
            if b.savings_goal:
                share = max(0.0, min(1.0, b.saved / b.savings_goal))
                st.progress(
                    share,
                    text=f"Saved {inert(money(b.saved, cur))} of {inert(money(b.savings_goal, cur))} this period",
                )


sent_offline(ctx)  # once per page run, not on every wake of the figures below
today()

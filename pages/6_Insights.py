"""Insights: where the money went over a date range, and where this period is heading."""

import streamlit as st

from budget_app.bill_views import insights_targets
from budget_app.errors import page_errors, shown_errors
from budget_app.format import money_html
from budget_app.frame import frame
from budget_app.insights_views import downloads
from budget_app.widgets import stat_tiles
from budget_core import analytics

ctx = frame("Insights")

with page_errors():
    st.markdown("## Insights")
    presets = analytics.range_presets(ctx.family.period_start_day, ctx.today)
    choice = st.selectbox("Range", [*presets, "Custom…"], key="insights_range")
    if choice == "Custom…":
        picked = st.date_input("From – to (both included)", value=presets["Last 3 periods"], key="insights_dates")
        if len(picked) != 2:
            st.info("Pick the last day of the range too.")
            st.stop()
        date_from, date_to = picked
    else:
        date_from, date_to = presets[choice]

    with shown_errors():
        result = analytics.insights(ctx.access, date_from, date_to)
        t = result.totals
        stat_tiles(
            [
                ("Spent", money_html(t.spending, ctx.currency), "fb-insights-spent"),
                ("Saved", money_html(t.saved, ctx.currency), "fb-insights-saved"),
                ("Income", money_html(t.income, ctx.currency), "fb-insights-income"),
                ("Left over", money_html(t.left_over, ctx.currency), "fb-insights-left"),
            ]
        )
        insights_targets(ctx)
        c = result.charts
        period, categories, people, months, habits = st.tabs(
            ["This period", "Categories", "Members", "Month over month", "Habits"]
        )
        with period:
            st.altair_chart(c["projection"], width="stretch")
            st.altair_chart(c["daily"], width="stretch")
        with categories:
            st.altair_chart(c["category"], width="stretch")
            if result.drillable:
                parent = st.selectbox("Drill into", result.drillable, key="insights_drill")
                st.altair_chart(result.subcategory_chart(parent), width="stretch")
        with people:
            st.altair_chart(c["member"], width="stretch")
        with months:
            st.altair_chart(c["month_over_month"], width="stretch")
            st.altair_chart(c["savings"], width="stretch")
        with habits:
            st.altair_chart(c["weekday"], width="stretch")
            st.altair_chart(c["top_descriptions"], width="stretch")

        st.caption(
            f"{t.transactions} transactions, {date_from:%b %-d, %Y} – {date_to:%b %-d, %Y}. "
            "Download them (the same file as `budget export`):"
        )
        downloads(ctx, date_from, date_to)

"""Insights: where the money went over a date range, and where this period is heading.

The charts are grouped into sections picked with a switch above them (not tabs: a chart drawn in
a tab that is not open comes out squashed); each goes through ``widgets.chart`` like Today's."""

import streamlit as st

from budget_app.bill_views import insights_targets
from budget_app.errors import page_errors, shown_errors
from budget_app.frame import frame
from budget_app.insights_views import downloads
from budget_app.widgets import chart, stat_tiles
from budget_core import analytics

ctx = frame("Insights")
fmt = ctx.fmt
SECTIONS = {
    "This period": ("projection", "daily"),
    "Categories": ("category",),
    "Members": ("member",),
    "Month by month": ("month_over_month", "savings"),
    "Habits": ("weekday", "top_descriptions"),
}

with page_errors():
    st.markdown("## Insights")
    st.caption("Where the family's money went, and where this period is heading.")
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
        result = analytics.insights(ctx.access, date_from, date_to, locale=ctx.locale)
        t = result.totals
        stat_tiles(
            [
                ("Spent", fmt.money_html(t.spending), "fb-insights-spent"),
                ("Put into savings", fmt.money_html(t.saved), "fb-insights-saved"),
                ("Money in", fmt.money_html(t.income), "fb-insights-income"),
                ("Left over", fmt.money_html(t.left_over), "fb-insights-left"),
            ]
        )
        insights_targets(ctx)
        section = st.segmented_control(
            "Show", list(SECTIONS), default="This period", key="insights_section", required=True
        )
        for name in SECTIONS[section or "This period"]:
            chart(result.charts[name], name)
        if section == "Categories" and result.drillable:
            parent = st.selectbox("Look inside a category", result.drillable, key="insights_drill")
            chart(result.subcategory_chart(parent), "subcategory")

        st.caption(
            f"{t.transactions} transactions, {fmt.day(date_from)} – {fmt.day(date_to)}. "
            "Download them (the same file as `budget export`):"
        )
        downloads(ctx, date_from, date_to)

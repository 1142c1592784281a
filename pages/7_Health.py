"""Health: is everything working for the family (managers), and for the whole server (its operator)."""

import streamlit as st

from budget_app.errors import page_errors
from budget_app.format import inert
from budget_app.frame import frame
from budget_app.health_views import degradation, family_parts, metrics, parts
from budget_core.ops import health

ctx = frame("Health")

with page_errors():
    st.markdown("## Health")
    if not (ctx.is_manager or ctx.is_operator):
        st.info("Only the family's managers see the health page.", icon=":material/lock:")
        st.stop()
    if ctx.is_manager:
        st.markdown(f"#### {inert(ctx.family.name)}")
        family_parts(health.family_health(ctx.access))
    if ctx.is_operator:
        st.markdown("#### This server")
        st.caption("You run this server: these figures cover every family on it.")
        report = health.check(ctx.engine)
        degradation(report)
        st.markdown("##### Behind the scenes")
        parts(report)
        st.markdown("##### How fast things are")
        st.caption("How long the app took to answer, by kind of request, over the window chosen.")
        metrics(report)

"""Health (managers): is everything working, how degraded is each feature, how fast are calls."""

import streamlit as st

from budget_app.errors import page_errors
from budget_app.frame import frame
from budget_app.health_views import degradation, metrics, parts
from budget_core.ops import health

ctx = frame("Health")

with page_errors():
    st.markdown("## Health")
    if not ctx.is_manager:
        st.info("Only managers see the health page.", icon=":material/lock:")
        st.stop()
    report = health.check(ctx.engine)
    degradation(report)
    st.markdown("#### Behind the scenes")
    parts(report)
    st.markdown("#### How fast things are")
    st.caption("How long the app took to answer, by kind of request, over the window chosen.")
    metrics(report)

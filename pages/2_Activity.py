"""Activity: the family's feed, newest first, in plain sentences."""

import streamlit as st

from budget_app.errors import page_errors, shown_errors
from budget_app.format import inert, relative_time
from budget_app.frame import frame
from budget_core.services import activity

PAGE = 30
ctx = frame("Activity")

with page_errors():
    st.markdown("## Activity")
    with shown_errors():
        pages = st.session_state.setdefault("activity_pages", 1)
        events = activity.recent_activity(ctx.access, limit=PAGE * pages + 1)
        shown, more = events[: PAGE * pages], len(events) > PAGE * pages
        items = "".join(
            f"<li><span>{inert(e.text)}</span>"
            f'<span class="fb-when" title="{e.at:%Y-%m-%d %H:%M} UTC">{relative_time(e.at)}</span></li>'
            for e in shown
        )
        st.markdown(f'<ul class="fb-feed" data-testid="fb-feed">{items}</ul>', unsafe_allow_html=True)
        if more and st.button("Load older", key="load_older"):
            st.session_state["activity_pages"] = pages + 1
            st.rerun()

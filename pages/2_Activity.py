"""Activity: the family's feed, newest first, in plain sentences; a deleted entry can be restored."""

import streamlit as st

from budget_app.errors import page_errors, shown_errors
from budget_app.format import html_escape
from budget_app.frame import frame
from budget_app.keys import FLASH
from budget_core.services import activity, transactions

PAGE = 30
ctx = frame("Activity")
fmt = ctx.fmt


def _line(event) -> str:
    return (
        f'<div class="fb-feed-item"><span>{html_escape(event.text)}</span>'
        f'<span class="fb-when" title="{html_escape(fmt.moment(event.at))}">{html_escape(fmt.ago(event.at))}</span></div>'
    )


with page_errors():
    st.markdown("## Activity")
    with shown_errors():
        pages = st.session_state.setdefault("activity_pages", 1)
        events = activity.recent_activity(ctx.access, limit=PAGE * pages + 1, locale=ctx.locale)
        shown, more = events[: PAGE * pages], len(events) > PAGE * pages
        can_restore = transactions.restorable(ctx.access, [e.version for e in shown if e.kind == "transaction.deleted"])
        feed = st.container(key="fb_feed")
        batch: list = []

        def flush() -> None:
            if batch:
                items = "".join(f"<li>{_line(e)}</li>" for e in batch)
                feed.markdown(f'<ul class="fb-feed" data-testid="fb-feed">{items}</ul>', unsafe_allow_html=True)
                batch.clear()

        for event in shown:
            if event.version not in can_restore:
                batch.append(event)
                continue
            flush()
            text, button = feed.columns([5, 1.2], vertical_alignment="center")
            text.markdown(f'<ul class="fb-feed"><li>{_line(event)}</li></ul>', unsafe_allow_html=True)
            if button.button("Restore", key=f"restore_{event.version}", icon=":material/undo:"):
                back = transactions.restore_transaction(ctx.access, event.version)
                st.session_state[FLASH] = f"{back.description} is back"
                st.rerun()
        flush()
        if more and st.button("Load older", key="load_older"):
            st.session_state["activity_pages"] = pages + 1
            st.rerun()

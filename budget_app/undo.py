"""Undo of a delete, offered from a toast at the bottom of the page for ``SECONDS`` seconds.

``offer(version, words)`` remembers the deletion (the family version of its event); every page run
then draws :func:`bar`, a small fragment that shows "Deleted Lunch ($12.00) · Undo" until the time is
up and redraws itself every second to go away on time. *Undo* restores the row through
``transactions.restore_transaction`` — one change with its own event, like any other — and the
Activity page offers the same "Restore" for as long as the row has not come back.
"""

from __future__ import annotations

import time
from datetime import timedelta

import streamlit as st

from budget_core.errors import BudgetError
from budget_core.services import transactions

from .errors import DB_DOWN, show_error
from .format import html_escape
from .keys import FLASH

SECONDS = 15
OFFER = "fb_undo_offer"  # {"version": the deletion's event version, "words": "Lunch ($12.00)", "until": epoch s}


def offer(version: int, words: str) -> None:
    st.session_state[OFFER] = {"version": version, "words": words, "until": time.time() + SECONDS}


def bar(ctx) -> None:
    """Draw the undo toast when a deletion can still be undone from it (called by the frame)."""
    offered = st.session_state.get(OFFER)
    if offered and offered["until"] > time.time():
        _bar(ctx)


@st.fragment(run_every=timedelta(seconds=1))
def _bar(ctx) -> None:
    offered = st.session_state.get(OFFER)
    if not offered or offered["until"] <= time.time():
        st.session_state.pop(OFFER, None)
        return
    box = st.container(key="fb_undo", horizontal=True, vertical_alignment="center", gap="small")
    box.markdown(
        f'<span data-testid="fb-undo-text">Deleted {html_escape(offered["words"])}</span>', unsafe_allow_html=True
    )
    if box.button("Undo", key=f"fb_undo_{offered['version']}", type="primary", icon=":material/undo:"):
        st.session_state.pop(OFFER, None)
        try:
            back = transactions.restore_transaction(ctx.access, offered["version"])
        except (BudgetError, *DB_DOWN) as err:
            show_error(err)
            return
        st.session_state[FLASH] = f"{back.description} is back"
        st.rerun()

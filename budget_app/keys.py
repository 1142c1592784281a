"""The names under which the web app keeps a person's things in ``st.session_state``, and the
flash message: one definition each, shared by the frame, the poller, the waker and the views."""

from __future__ import annotations

import streamlit as st

FLASH = "fb_flash"  # a confirmation shown as a toast on the next run ("Saved: $15.00 · Lunch")
CURSORS = "fb_cursors"  # family id → newest version this session has shown
TOASTS = "fb_toasts"  # other members' changes waiting to be shown
OFFLINE_KIT = "fb_offline_kit"  # what the sidebar needs if the database goes away
WOKEN = "fb_woken"  # set when the next run is caused by someone else's change, not by this person
REFRESH = "fb_refresh"  # keys of the page's fragments that show figures: redrawn after a save


def done(message: str) -> None:
    """Confirm a finished action on the next run, and start that run now."""
    st.session_state[FLASH] = message
    st.rerun()

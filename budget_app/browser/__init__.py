"""A zero-height component for what only the browser can do (``index.html`` says how):

* while the browser cannot reach the server, an "Offline — reconnecting…" bar and the figures
  marked as possibly out of date, until the first run after the connection is back;
* on a phone, the sidebar drawer closes after a page link is followed;
* a table row's edit button (``data-fb-edit="<id>"``) opens that row for editing.

The frame draws it once per page run (``connect``); each run passes a new run number, which is how
the page knows a run has drawn fresh figures. Its value, ``{seq, edit, back}``, changes with each
message, so a message reruns the page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

_component = components.declare_component("browser", path=str(Path(__file__).parent))
KEY = "fb_browser"
RUN = "fb_browser_run"
SEEN = "fb_browser_seen_edit"


def connect() -> None:
    """Draw the component (once per page run, in the frame)."""
    run = st.session_state.get(RUN, 0) + 1
    st.session_state[RUN] = run
    _component(run=run, value=st.session_state.get(KEY), key=KEY, default=None)


def picked_row() -> int | None:
    """The id of the row whose edit button was just pressed in a table, once; else None."""
    value = st.session_state.get(KEY) or {}
    if not value.get("edit") or value.get("seq") == st.session_state.get(SEEN):
        return None
    st.session_state[SEEN] = value.get("seq")
    return int(value["edit"])

"""Keeping a session current: catch up with the family's change feed and toast others' changes.

Each session keeps a cursor (the last family version it has seen). A full page run catches up at
once (a reconnecting tab never waits for a timer). Between runs two things can start a catch-up:

* the change itself: the process's sync watcher hears the commit's NOTIFY and ``wake.py`` reruns
  the page of every session showing that family that has not shown it yet (a session busy
  running is left to finish first), so a change reaches the screen in one page run;
* the timer of ``change_poller``, a ``st.fragment(run_every=BUDGET_POLL_MS)``: the fallback for a
  wake that was lost. It compares the cursor with the newest known version — answered by the
  watcher from memory while it is connected — and when they are equal it returns without a query
  and without drawing anything new. When behind, it fetches the new events, queues toasts for
  other members' changes and reruns the app so every figure refreshes; widgets keep their keys,
  so whatever is typed in the sidebar form stays.

Hidden tabs get their timers throttled by the browser, so the frame also draws the ``focus``
component: coming back into view is a widget event that reruns the page, which catches up at once.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from budget_core.config import settings
from budget_core.errors import PermissionDenied
from budget_core.services import activity
from budget_core.services.access import FamilyAccess
from budget_core.sync import trace

from . import versions, wake
from .errors import DB_DOWN
from .format import inert
from .keys import CURSORS, TOASTS, WOKEN

_TRACED = "fb_traced_change"  # (family, version) this run caught up with, for the sync trace


def _cursors() -> dict:
    if CURSORS not in st.session_state:
        st.session_state[CURSORS] = {}
    return st.session_state[CURSORS]


def catch_up(access: FamilyAccess, latest: int | None) -> bool:
    """Advance the session's cursor to ``latest``; queue toasts for others' events. True if it moved.

    The first time a session sees a family its cursor starts at ``latest``: history is on the
    Activity page, not in toasts.
    """
    return _catch_up(access, latest) is not None


def _catch_up(access: FamilyAccess, latest: int | None) -> list[activity.Event] | None:
    """The events the cursor moved past (queued as toasts when others made them), or None if it did not move."""
    cursors, family_id = _cursors(), access.family_id
    cursor = cursors.get(family_id)
    if latest is None:
        return None
    if cursor is None:
        cursors[family_id] = latest
        return None
    if latest <= cursor:
        return None
    events = activity.changes_since(access, cursor, limit=200)
    toasts = st.session_state.setdefault(TOASTS, [])
    for event in events:
        if event.actor_id != access.user_id:
            toasts.append(inert(event.text))
    cursors[family_id] = max([latest] + [e.version for e in events])
    trace("caught_up", family_id, cursors[family_id], s=wake.session_id())
    st.session_state[_TRACED] = (family_id, cursors[family_id])
    return events


def page_run(access: FamilyAccess, version: int) -> None:
    """The frame's catch-up at the start of every full page run (``version``: the family's, just read)."""
    wake.page_run()  # this page names its own fragment to redraw, if it has one
    catch_up(access, version)


# Changes that alter only a page's figures: waking a session redraws its figures fragment for them.
# Anything else (the plan's words, categories, members, rules) reruns the whole page: the frame and
# the sidebar's form depend on it.
FIGURE_KINDS = frozenset(
    {
        "transaction.added",
        "transaction.edited",
        "transaction.deleted",
        "import.completed",
        "import.links_confirmed",
        "fixed.added",
        "fixed.removed",
    }
)


def redraw_on_change(access: FamilyAccess) -> int:
    """Call first inside the ``st.fragment`` that draws a page's figures (Today's): from then on a
    change wakes this session by rerunning that fragment alone — no frame, no sidebar, a fraction of
    a page run — and the fragment catches up here (toasting others' changes) before it draws.
    Returns the family version to draw. A change other than to transactions and fixed expenses
    reruns the whole page instead; so does a member's removal (the frame then says so).
    """
    wake.redraw_here()
    family_id = access.family_id
    try:
        events = _catch_up(access, versions.latest_version(access.engine, family_id))
    except PermissionDenied:
        st.rerun(scope="app")
    if events is not None:
        if any(e.kind not in FIGURE_KINDS for e in events):
            st.rerun(scope="app")
        show_queued_toasts()
    return _cursors()[family_id]


def show_queued_toasts() -> None:
    traced = st.session_state.pop(_TRACED, None)
    if traced:  # the frame is drawn (the page's own figures follow)
        trace("framed", *traced, s=wake.session_id())
    for message in st.session_state.pop(TOASTS, [])[-5:]:
        st.toast(message, icon=":material/notifications:")


@st.fragment(run_every=timedelta(milliseconds=settings().poll_ms))
def change_poller(access: FamilyAccess) -> None:
    """Rerun the app when the family changed since this session last looked; else do nothing.

    Kept trivial on purpose: it runs every ``poll_ms`` in every open session. The idle path is
    one dictionary read in the watcher (no query) and draws nothing. It also tells ``wake`` which
    family this session shows, so a change can wake it at once. (A tab coming back into view is
    caught by ``focus.returns()``, drawn once per page run outside this fragment.)
    """
    family_id = access.family_id
    versions.watch(family_id)  # the watcher re-reads families with open sessions every few seconds
    wake.register(family_id)  # …and wakes this session as soon as the family changes
    cursor = _cursors().get(family_id)
    try:
        latest = versions.latest_version(access.engine, family_id)
        if cursor is not None and latest is not None and latest <= cursor:
            return
        moved = catch_up(access, latest)
    except DB_DOWN:
        return  # the next full run shows the offline message; the timer keeps trying
    except PermissionDenied:
        moved = True  # removed from the family meanwhile: the full run's frame says so
    if moved:
        st.session_state[WOKEN] = True  # someone else's change: not this person's activity
        st.rerun(scope="app")

"""Waking a family's open sessions the moment the family changes, instead of at their next poll.

A session's change poller (``poller.change_poller``) tells :func:`register` which family it shows.
The process's sync watcher calls :func:`on_change` (on its own thread) as soon as it hears that a
family's version moved; for each of the family's sessions that has not seen that version yet,
this asks Streamlit, on its event loop, for a rerun of the session's page — what the poller
would do at its next tick. So a change reaches the screen in one notification plus one page run,
and the poll timer is only the fallback (a wake given up on, ``BUDGET_WAKE_SESSIONS=0``, or a
Streamlit without these hooks).

A page whose figures are drawn in an ``st.fragment`` names it with :func:`redraw_here` (Today does,
through ``poller.redraw_on_change``): a wake then reruns that fragment alone, which skips the frame
(session check, memberships, the sidebar's form) and everything else on the page — the part of a
page run a change does not alter. Each full page run forgets the name (:func:`page_run`), so a
page without such a fragment is rerun whole; so is one whose fragment Streamlit no longer holds.

The headline comes first and the rest after it: fragments that also show the change but matter
less at the first glance (Today's notes, tiles, charts and plan table) name themselves with
:func:`redraw_after`. A fragment-scoped run of the headline's fragment — woken by someone else's
change, or the person's own save — then has them rerun ``FOLLOW_S`` later, once that run has
ended (:func:`follow_up`). Measured (``bench/capacity.py``): the charts of the writer's own page and
of the woken ones, built and drawn in the same moment as the headline, were what held the headline
back on a 2-core machine.

A session whose script is running, or about to run because the person just clicked something (a
page link, Save), is never interrupted and never sent a run on top of it — that would replace the
page they asked for, or drop their save: the wake waits for the run to end,
checking every 50 ms for up to 3 s, and is dropped if that run already showed the new version.
Sessions that have gone are forgotten the first time a wake finds no session.

The hooks used are Streamlit internals (``Runtime.get_app_session``, the session's event loop,
run state, session state and last client state, ``AppSession.request_rerun`` and ``has_fragment``,
the running fragment's id in ``ThreadState``). A woken run is
marked in the session's state (``keys.WOKEN``) so the frame does not count it as the person's
activity: the idle timeout counts only their own actions. If the imports
fail, :func:`available` is false, nothing is woken, and polling alone keeps sessions current.
"""

from __future__ import annotations

import logging
import threading

from budget_core.config import settings
from budget_core.sync import trace

from .keys import CURSORS, WOKEN

log = logging.getLogger(__name__)

RETRY_S = 0.05
GIVE_UP_AFTER = 60  # retries: 3 s of a session's script running without a break
FOLLOW_S = 0.15  # after a headline's run began: when the fragments that follow it are rerun

_lock = threading.Lock()
_families: dict[int, set[str]] = {}  # family id → ids of the sessions showing it
_session_family: dict[str, int] = {}
_redraw: dict[str, str] = {}  # session id → the fragment its page redraws on a change (else the whole page)
_follow: dict[str, list[str]] = {}  # session id → fragments rerun after that one, in page order
wakes = 0  # page runs requested by a change (for tests and the health page)

try:
    from streamlit import runtime
    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.runtime.app_session import AppSessionState
    from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, get_script_run_ctx
except ImportError:  # pragma: no cover - depends on the Streamlit release
    runtime = None


def available() -> bool:
    return runtime is not None and runtime.exists()


def session_id() -> str | None:
    """The running session's id (None outside a Streamlit run)."""
    return _current_session_id()


def _current_session_id() -> str | None:
    if not available():
        return None
    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else None


def register(family_id: int) -> None:
    """Called from the poller: this session shows ``family_id`` (wake it when that changes)."""
    session_id = _current_session_id()
    if session_id is None:
        return
    with _lock:
        previous = _session_family.get(session_id)
        if previous == family_id:
            return
        if previous is not None:
            _families.get(previous, set()).discard(session_id)
        _session_family[session_id] = family_id
        _families.setdefault(family_id, set()).add(session_id)


def _running_fragment() -> tuple[str, str] | None:
    """(session id, fragment id) when called inside a running ``st.fragment``, else None."""
    session_id = _current_session_id()
    fragment_id = ThreadState.get().fragment_id if session_id is not None else None
    return (session_id, fragment_id) if session_id is not None and fragment_id else None


def redraw_here() -> None:
    """Called inside an ``st.fragment``: a change wakes this session by rerunning that fragment alone."""
    running = _running_fragment()
    if running is not None:
        session_id, fragment_id = running
        with _lock:
            _redraw[session_id] = fragment_id


def redraw_after() -> None:
    """Called inside an ``st.fragment``: rerun this fragment after the headline's (see the module)."""
    running = _running_fragment()
    if running is not None:
        session_id, fragment_id = running
        with _lock:
            following = _follow.setdefault(session_id, [])
            if fragment_id not in following:
                following.append(fragment_id)


def follow_up() -> None:
    """Called by the headline's fragment: when this run is that fragment's alone (not a page run,
    which draws everything), rerun the fragments named by :func:`redraw_after` once it has ended."""
    ctx = get_script_run_ctx(suppress_warning=True) if available() else None
    if ctx is None or not ctx.fragment_ids_this_run:
        return
    with _lock:
        if not _follow.get(ctx.session_id):
            return
    session = runtime.get_instance().get_app_session(ctx.session_id)
    if session is not None:
        try:
            session._event_loop.call_soon_threadsafe(
                lambda: session._event_loop.call_later(FOLLOW_S, _follow_up, session, 0)
            )
        except (AttributeError, RuntimeError):  # loop closed: the next page run draws everything
            pass


def _follow_up(session, tries: int) -> None:
    """On the event loop: rerun the following fragments once the session's run has ended."""
    try:
        if session._state == AppSessionState.SHUTDOWN_REQUESTED:
            return
        if session._state == AppSessionState.APP_IS_RUNNING or session._scriptrunner is not None:
            if tries < GIVE_UP_AFTER:
                session._event_loop.call_later(RETRY_S, _follow_up, session, tries + 1)
            return
        with _lock:
            following = [f for f in _follow.get(session.id, ()) if session.has_fragment(f)]
        for fragment in following:  # the first starts a run, the rest join the one queued after it
            state = ClientState()
            state.CopyFrom(session._client_state)
            state.fragment_id = fragment
            session.request_rerun(state)
    except Exception as err:  # a closing session, or a Streamlit that changed: the next run draws them
        log.debug("could not follow up session %s", getattr(session, "id", "?"), exc_info=True)
        _falling_back(f"following up a session failed ({type(err).__name__})")


def page_run() -> None:
    """A full page run began: the page it draws may have no fragment to redraw (until it names one)."""
    session_id = _current_session_id()
    if session_id is not None:
        with _lock:
            _redraw.pop(session_id, None)
            _follow.pop(session_id, None)


def unregister() -> None:
    """Called on sign-out: this session shows no family any more."""
    session_id = _current_session_id()
    if session_id is not None:
        _forget(session_id)


def on_change(family_id: int, version: int) -> None:
    """The watcher's callback: wake every session showing ``family_id`` that is behind ``version``."""
    with _lock:
        sessions = list(_families.get(family_id, ()))
    if not sessions:
        return
    if not available():
        _falling_back("this Streamlit has no runtime hooks to wake sessions with")
        return
    rt = runtime.get_instance()
    for session_id in sessions:
        session = rt.get_app_session(session_id)
        if session is None:
            _forget(session_id)
            continue
        try:
            session._event_loop.call_soon_threadsafe(_wake, session, family_id, version, 0)
        except (AttributeError, RuntimeError):  # loop closed, or a Streamlit without it
            _forget(session_id)


def _wake(session, family_id: int, version: int, tries: int) -> None:
    """On the event loop: rerun the session's page once its current run (if any) has ended."""
    global wakes
    try:
        if session._state == AppSessionState.SHUTDOWN_REQUESTED:
            _forget(session.id)
            return
        # A script runner exists from the moment a run is asked for (a click, a page link) until
        # that run has ended; rerunning then would replace the page the person just asked for.
        if session._state == AppSessionState.APP_IS_RUNNING or session._scriptrunner is not None:
            if tries < GIVE_UP_AFTER:
                session._event_loop.call_later(RETRY_S, _wake, session, family_id, version, tries + 1)
            return  # busy for seconds: its poller's timer catches up instead
        if _seen(session, family_id) >= version:
            return  # that run (or an earlier wake) already showed it
        state = ClientState()
        state.CopyFrom(session._client_state)  # the page and query string of the session's last run
        with _lock:
            fragment = _redraw.get(session.id)
        if fragment and settings().wake_scope == "fragment" and session.has_fragment(fragment):
            state.fragment_id = fragment  # the page's figures alone: no frame, no sidebar
        else:
            state.fragment_id = ""
        if not state.fragment_id:  # a whole-page run (a fragment's runs skip the frame that reads the mark)
            session._session_state[WOKEN] = True  # the run is caused by someone else: not the person's activity
        session.request_rerun(state)
        wakes += 1
        trace("woken", family_id, version, s=session.id, waited=tries, fragment=bool(state.fragment_id))
    except Exception as err:  # a closing session, or a Streamlit that changed: the poller catches up
        log.debug("could not wake session %s", getattr(session, "id", "?"), exc_info=True)
        _falling_back(f"waking a session failed ({type(err).__name__})")


_warned = False


def _falling_back(reason: str) -> None:
    """Say once per process that changes now reach screens at the poll interval only."""
    global _warned
    if not _warned:
        _warned = True
        log.warning(
            "Session wake-ups are not working (%s); open pages see changes at their next poll "
            "(BUDGET_POLL_MS). Check the Streamlit version against budget_app/wake.py.",
            reason,
        )


def _seen(session, family_id: int) -> int:
    """The newest version of the family this session has shown (-1 if unknown)."""
    try:
        return session._session_state[CURSORS].get(family_id, -1)
    except KeyError:
        return -1


def _forget(session_id: str) -> None:
    with _lock:
        _redraw.pop(session_id, None)
        _follow.pop(session_id, None)
        family_id = _session_family.pop(session_id, None)
        if family_id is not None:
            _families.get(family_id, set()).discard(session_id)
            if not _families.get(family_id):
                _families.pop(family_id, None)


def registered_sessions() -> int:
    with _lock:
        return len(_session_family)

"""The device cookie, seen from the pages: resume a session from it, and ask the browser to write or clear it.

A page run reads cookies (``st.context.cookies``, the WebSocket's opening request) but cannot write
one. After a sign-in the page asks this zero-height component to post the session's one-time
ticket to the app's route ``/auth/device``, whose answer sets the HttpOnly cookie; after a
sign-out, to post to ``/auth/sign-out``, whose answer clears it. The component posts each request
once and reports nothing back (a report would rerun the page just as the person starts using it);
the page keeps drawing it, unchanged, for as long as the ticket lives, and then asks the database
whether the ticket was used (``devices.remembered``).

The cookie a tab opened with stays in ``st.context.cookies`` for the tab's whole life, even after
it was cleared: :func:`cookie_token` hands each one out once per tab, so a signed-out tab does not
resume from a cookie it already used or refused.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components
from sqlalchemy import Engine

from budget_core.services import devices
from budget_core.services.devices import TICKET_S

COOKIE = "fb_device"
PENDING = "fb_device_pending"  # what the browser has yet to do: {"key", "action", "ticket", "until"}
SEEN = "fb_device_cookie_seen"  # the cookie token this tab already resumed from (or found ended)
NOT_REMEMBERED = "fb_device_not_remembered"  # the browser never stored this tab's cookie
KEEP_ON_SIGN_OUT = (SEEN,)  # what a sign-out leaves in the tab's session state

_component = components.declare_component("device", path=str(Path(__file__).parent))


def cookie_token() -> str | None:
    """The device cookie's token, unless this tab already used it (``used``); None without one."""
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no browser connection (AppTest): no cookie
        return None
    if not isinstance(token, str) or not token or st.session_state.get(SEEN) == token:
        return None
    return token


def used(token: str) -> None:
    """This tab resumed from ``token`` or found its session ended: never resume from it again."""
    st.session_state[SEEN] = token


def user_agent() -> str | None:
    try:
        return st.context.headers.get("User-Agent")
    except Exception:  # noqa: BLE001 - no browser connection (AppTest)
        return None


def remember(ticket: str) -> None:
    """Ask the browser to exchange ``ticket`` for the device cookie (at the next ``sync``)."""
    st.session_state[PENDING] = {
        "key": uuid.uuid4().hex,
        "action": "remember",
        "ticket": ticket,
        "until": time.time() + TICKET_S,
    }


def forget() -> None:
    """Ask the browser to clear the device cookie (and end the session it names, if still live)."""
    st.session_state[PENDING] = {"key": uuid.uuid4().hex, "action": "forget", "ticket": None, "until": time.time() + 30}


def _base() -> str:
    raw = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{raw}" if raw else ""


def sync(engine: Engine | None = None, session_id: int | None = None) -> bool | None:
    """Draw the component while the browser has something to do. Once a sign-in's ticket has run out:
    True if the browser stored the cookie, False if it did not (the tab stays signed in, a reload
    will not be); None otherwise."""
    pending = st.session_state.get(PENDING)
    if not pending:
        return None
    if time.time() > pending["until"]:
        st.session_state.pop(PENDING, None)
        if pending["action"] == "remember" and engine is not None and session_id is not None:
            return devices.remembered(engine, session_id)
        return None
    _component(
        key="fb_device",
        default=None,
        action=pending["action"],
        ticket=pending["ticket"],
        base=_base(),
        request=pending["key"],
    )
    return None

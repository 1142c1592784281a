"""The device cookie, seen from the pages: resume a session from it, and ask the browser to write or clear it.

A page run reads cookies (``st.context.cookies``, the WebSocket's opening request) but cannot write
one. After a sign-in the page asks this zero-height component to post the session's one-time
ticket to the app's route ``/auth/device``, whose answer sets the HttpOnly cookie; after a
sign-out, to post to ``/auth/sign-out``, whose answer clears it. The component reports back, so the
request is made once and the page knows whether the device will remember the person.

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

from budget_core.services.devices import TICKET_S

COOKIE = "fb_device"
PENDING = "fb_device_pending"  # what the browser has yet to do: {"key", "action", "ticket", "until"}
SEEN = "fb_device_cookie_seen"  # the cookie token this tab already resumed from (or found ended)
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
    st.session_state[PENDING] = {"key": uuid.uuid4().hex, "action": "forget", "ticket": None, "until": time.time() + 60}


def _base() -> str:
    raw = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{raw}" if raw else ""


def sync() -> bool | None:
    """Draw the component while the browser has something to do; True once it did it, False if it
    could not (the ticket expired, no connection), None while nothing is pending or it is under way."""
    pending = st.session_state.get(PENDING)
    if not pending:
        return None
    if time.time() > pending["until"]:
        st.session_state.pop(PENDING, None)
        return False
    answer = _component(
        key="fb_device",
        default=None,
        action=pending["action"],
        ticket=pending["ticket"],
        base=_base(),
        request=pending["key"],
    )
    if not answer or answer.get("key") != pending["key"]:
        return None
    st.session_state.pop(PENDING, None)
    return bool(answer.get("ok"))

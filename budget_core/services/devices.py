"""Device sessions: who is signed in on which browser, and how that survives a reload.

A session is a row of ``user_sessions``. A browser proves it holds one with a random token (256
bits) in an HttpOnly cookie; the row keeps only the token's SHA-256. A page run happens over a
WebSocket, which cannot write a cookie, so signing in takes two steps:

1. the page checks the password and calls :func:`begin`: the row exists at once — the tab is
   signed in by the row's id, kept in server memory — with a one-time ticket (192 bits, hashed,
   ``TICKET_S`` seconds);
2. the browser posts the ticket to the app's route ``POST /auth/device``, which calls
   :func:`redeem_ticket`: a fresh token replaces the row's hash and leaves in the ``Set-Cookie``
   header, the only place it ever exists in clear.

A reload, a new tab, a deep link, a long disconnection or another server process finds the cookie
(``st.context.cookies``) and calls :func:`check` with it. Lifetimes: a session the person asked to
keep ("Keep me signed in on this device") ends ``KEEP_DAYS`` after its last use, sliding; any other
ends after ``IDLE_MINUTES`` without use (and its cookie ends with the browser). Signing out, signing
out a device or everywhere, and changing or resetting the password end rows at once, on every
process: each page run checks its row.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Connection, Engine, text

from ..errors import NotFound, PermissionDenied
from .accounts import User

KEEP_DAYS = 30
IDLE_MINUTES = 60
TICKET_S = 120
TOUCH_EVERY_S = 60  # last_seen_at is written at most this often per session
TOKEN_BYTES = 32
TICKET_BYTES = 24
MAX_USER_AGENT = 300

WHY = {
    "sign-out": "you signed out",
    "device": "it was signed out from the Account page on another device",
    "everywhere": "you chose “Sign out everywhere”",
    "password": "your password was changed",
    "reset": "your password was reset",
    "idle": "it was not used for an hour (it was not kept signed in)",
    "expired": f"it was not used for {KEEP_DAYS} days",
    "operator": "the server's operator ended the sessions",
    "unknown": "its sign-in is no longer known to the server",
}


class SignedOut(PermissionDenied):
    """This device's session has ended; ``reason`` is a key of ``WHY``."""

    def __init__(self, reason: str):
        self.reason = reason if reason in WHY else "unknown"
        super().__init__(f"You were signed out on this device because {WHY[self.reason]}. Sign in again to continue.")


@dataclass(frozen=True, slots=True)
class Session:
    """A live session: whose it is, its row, whether it is kept, whether its person runs the server."""

    user: User
    session_id: int
    keep: bool
    is_operator: bool = False


@dataclass(frozen=True, slots=True)
class Begun:
    """A session just started by a page: its row (the tab's proof) and the ticket for the cookie."""

    session_id: int
    ticket: str


@dataclass(frozen=True, slots=True)
class Cookie:
    """What the route puts in ``Set-Cookie``: the token, and ``max_age`` seconds (None: ends with the browser)."""

    token: str
    keep: bool

    @property
    def max_age(self) -> int | None:
        return KEEP_DAYS * 86400 if self.keep else None


@dataclass(frozen=True, slots=True)
class Device:
    """One of a person's live sessions, for the Account page."""

    id: int
    browser: str
    first_seen: datetime
    last_seen: datetime
    keep: bool
    current: bool


def hash_token(token: str) -> bytes:
    return hashlib.sha256((token or "").encode()).digest()


def _agent(user_agent: str | None) -> str | None:
    return (user_agent or "").strip()[:MAX_USER_AGENT] or None


@lru_cache(maxsize=256)
def browser_label(user_agent: str | None) -> str:
    """'Chrome on Android', 'Safari on iOS', 'Firefox on Windows' … from a User-Agent header."""
    if not user_agent:
        return "Unknown browser"
    from ua_parser import parse

    found = parse(user_agent)
    browser = found.user_agent.family if found.user_agent else "Unknown browser"
    browser = {"Chrome Mobile": "Chrome", "Mobile Safari": "Safari", "Firefox Mobile": "Firefox"}.get(browser, browser)
    system = found.os.family if found.os and found.os.family != "Other" else None
    if browser == "Other":
        browser = "Unknown browser"
    return f"{browser} on {system}" if system else browser


def _insert(conn: Connection, user_id: int, *, keep: bool, user_agent: str | None, ticket: str | None) -> int:
    return conn.execute(
        text(
            "INSERT INTO user_sessions (token_hash, user_id, keep, user_agent, ticket_hash, ticket_expires_at) "
            "VALUES (:h, :u, :k, :a, :t, CASE WHEN CAST(:t AS bytea) IS NULL THEN NULL "
            "ELSE now() + make_interval(secs => :ts) END) RETURNING id"
        ),
        {
            "h": hash_token(secrets.token_urlsafe(TOKEN_BYTES)),
            "u": user_id,
            "k": keep,
            "a": _agent(user_agent),
            "t": hash_token(ticket) if ticket else None,
            "ts": TICKET_S,
        },
    ).scalar_one()


def begin(engine: Engine, user_id: int, *, keep: bool, user_agent: str | None = None) -> Begun:
    """Start a session for a page that just checked who this is; the browser exchanges the
    returned ticket for its cookie (``redeem_ticket``) within ``TICKET_S`` seconds."""
    ticket = secrets.token_urlsafe(TICKET_BYTES)
    with engine.begin() as conn:
        session_id = _insert(conn, user_id, keep=keep, user_agent=user_agent, ticket=ticket)
    return Begun(session_id, ticket)


def start_with_token(engine: Engine, user_id: int, *, keep: bool = False, user_agent: str | None = None) -> str:
    """Start a session and return its token directly (for callers that set the cookie themselves)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with engine.begin() as conn:
        session_id = _insert(conn, user_id, keep=keep, user_agent=user_agent, ticket=None)
        conn.execute(
            text("UPDATE user_sessions SET token_hash = :h WHERE id = :i"), {"h": hash_token(token), "i": session_id}
        )
    return token


def redeem_ticket(engine: Engine, ticket: str, *, user_agent: str | None = None) -> Cookie:
    """Exchange a page's one-time ticket for the cookie's token (once; within ``TICKET_S`` seconds)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with engine.begin() as conn:
        row = conn.execute(
            text(
                "UPDATE user_sessions SET token_hash = :new, ticket_hash = NULL, ticket_expires_at = NULL, "
                "user_agent = coalesce(user_agent, :a), last_seen_at = now() "
                "WHERE ticket_hash = :h AND ticket_expires_at > now() AND ended_at IS NULL RETURNING keep"
            ),
            {"new": hash_token(token), "h": hash_token(ticket), "a": _agent(user_agent)},
        ).first()
    if row is None:
        raise PermissionDenied("That sign-in has expired or was already used; sign in again.")
    return Cookie(token, row.keep)


def remembered(engine: Engine, session_id: int) -> bool:
    """Whether the browser exchanged the session's ticket for its cookie."""
    with engine.connect() as conn:
        return bool(
            conn.execute(
                text("SELECT ticket_hash IS NULL FROM user_sessions WHERE id = :i"), {"i": session_id}
            ).scalar()
        )


_CHECK = (
    "SELECT s.id, s.keep, s.ended_reason, s.ended_at, extract(epoch FROM now() - s.last_seen_at) AS idle, "
    "u.id AS uid, u.email, u.display_name, u.is_operator "
    "FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE "
)


def _lifetime_s(keep: bool) -> int:
    return KEEP_DAYS * 86400 if keep else IDLE_MINUTES * 60


def check(
    engine: Engine,
    *,
    token: str | None = None,
    session_id: int | None = None,
    touch: bool = True,
    idle_minutes: int | None = None,
) -> Session:
    """The live session named by its cookie ``token`` or its row ``session_id``; ``SignedOut`` with
    the reason when it ended, expired or never existed. Using it slides its expiry (``touch``)."""
    if (token is None) == (session_id is None):
        raise ValueError("name the session by its token or by its id")
    where, key = ("s.token_hash = :k", hash_token(token)) if token is not None else ("s.id = :k", session_id)
    with engine.connect() as conn:
        row = conn.execute(text(_CHECK + where), {"k": key}).first()
        if row is None:
            raise SignedOut("unknown")
        if row.ended_at is not None:
            raise SignedOut(row.ended_reason or "sign-out")
        limit = idle_minutes * 60 if idle_minutes is not None and not row.keep else _lifetime_s(row.keep)
        if row.idle > limit:
            reason = "expired" if row.keep else "idle"
            conn.execute(
                text("UPDATE user_sessions SET ended_at = now(), ended_reason = :r WHERE id = :i AND ended_at IS NULL"),
                {"i": row.id, "r": reason},
            )
            conn.commit()
            raise SignedOut(reason)
        if touch and row.idle > TOUCH_EVERY_S:
            conn.execute(text("UPDATE user_sessions SET last_seen_at = now() WHERE id = :i"), {"i": row.id})
            conn.commit()
    return Session(User(row.uid, row.email, row.display_name), row.id, row.keep, row.is_operator)


def renew(engine: Engine, token: str) -> Cookie | None:
    """For a page load carrying the cookie: the cookie to send again (a kept session's expiry
    slides), or None when there is nothing to renew (not kept, or no longer live)."""
    try:
        session = check(engine, token=token)
    except PermissionDenied:
        return None
    return Cookie(token, True) if session.keep else None


def end(engine: Engine, *, session_id: int | None = None, token: str | None = None, reason: str = "sign-out") -> None:
    """End one session (by its row or its cookie's token); ending an ended one changes nothing."""
    if (token is None) == (session_id is None):
        raise ValueError("name the session by its token or by its id")
    where, key = ("token_hash = :k", hash_token(token)) if token is not None else ("id = :k", session_id)
    with engine.begin() as conn:
        conn.execute(
            text(f"UPDATE user_sessions SET ended_at = now(), ended_reason = :r WHERE {where} AND ended_at IS NULL"),
            {"k": key, "r": reason},
        )


def end_all(engine: Engine, user_id: int, *, reason: str, except_session: int | None = None) -> int:
    """End every live session of ``user_id`` (but ``except_session``); returns how many ended."""
    with engine.begin() as conn:
        return conn.execute(
            text(
                "UPDATE user_sessions SET ended_at = now(), ended_reason = :r WHERE user_id = :u "
                "AND ended_at IS NULL AND id IS DISTINCT FROM :keep"
            ),
            {"u": user_id, "r": reason, "keep": except_session},
        ).rowcount


def list_devices(engine: Engine, user_id: int, current_session: int | None = None) -> list[Device]:
    """``user_id``'s live sessions, the most recently used first."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, user_agent, created_at, last_seen_at, keep FROM user_sessions "
                "WHERE user_id = :u AND ended_at IS NULL AND last_seen_at > now() - "
                "CASE WHEN keep THEN make_interval(days => :kd) ELSE make_interval(mins => :im) END "
                "ORDER BY id = :c DESC, last_seen_at DESC, id DESC"
            ),
            {"u": user_id, "kd": KEEP_DAYS, "im": IDLE_MINUTES, "c": current_session or 0},
        ).all()
    return [
        Device(r.id, browser_label(r.user_agent), r.created_at, r.last_seen_at, r.keep, r.id == current_session)
        for r in rows
    ]


def sign_out_device(engine: Engine, user_id: int, session_id: int) -> None:
    """End one of the person's own sessions (another device's, from the Account page)."""
    with engine.begin() as conn:
        done = conn.execute(
            text(
                "UPDATE user_sessions SET ended_at = now(), ended_reason = 'device' "
                "WHERE id = :i AND user_id = :u AND ended_at IS NULL"
            ),
            {"i": session_id, "u": user_id},
        ).rowcount
    if not done:
        raise NotFound("That device is already signed out.")

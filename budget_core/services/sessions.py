"""Signed-in sessions and rate limits on guessing (sign-in, invitation redemption).

A session is a random token held by the browser session; the database keeps its hash. It ends
on sign-out, after ``IDLE_MINUTES`` without the person's own activity (a page run caused by
someone else's change does not count: the frame passes ``touch=False`` then), and when the
person's password changes (all but the session that changed it). Rate limits count attempts per
account (the address's normal form) and per client address in a sliding window, before the
password or token is checked; the same words are used whether the account exists or not.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import Engine, text

from ..domain.storable import normal_email
from ..errors import BudgetError, PermissionDenied, ValidationError
from .accounts import User

IDLE_MINUTES = 60
TOUCH_EVERY_S = 60  # last_seen_at is written at most this often per session
WINDOW_S = 15 * 60
LIMITS = {"account": 5, "client": 20, "redeem": 10, "signup": 10, "signup-address": 3}
SESSION_ENDED = "Your session has ended; please sign in again."


class RateLimited(BudgetError):
    """Too many failures recently; ``retry_in`` seconds until the next try is allowed."""

    def __init__(self, retry_in: int):
        super().__init__(f"Too many attempts. Try again in {retry_in} s.")
        self.retry_in = retry_in


def _hash(token: str) -> bytes:
    return hashlib.sha256((token or "").encode()).digest()


def start_session(engine: Engine, user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO user_sessions (token_hash, user_id) VALUES (:h, :u)"), {"h": _hash(token), "u": user_id}
        )
    return token


def check_session(engine: Engine, token: str, *, touch: bool = True, idle_minutes: int = IDLE_MINUTES) -> User:
    """The session's user, or PermissionDenied when it ended, expired or never existed."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT s.id, s.ended_at, extract(epoch FROM now() - s.last_seen_at) AS idle, "
                "u.id AS uid, u.email, u.display_name FROM user_sessions s JOIN users u ON u.id = s.user_id "
                "WHERE s.token_hash = :h"
            ),
            {"h": _hash(token)},
        ).first()
        if row is None or row.ended_at is not None:
            raise PermissionDenied(SESSION_ENDED)
        if row.idle > idle_minutes * 60:
            conn.execute(
                text("UPDATE user_sessions SET ended_at = now(), ended_reason = 'idle' WHERE id = :i"), {"i": row.id}
            )
            conn.commit()
            raise PermissionDenied("You were signed out after a while without activity; please sign in again.")
        if touch and row.idle > TOUCH_EVERY_S:
            conn.execute(text("UPDATE user_sessions SET last_seen_at = now() WHERE id = :i"), {"i": row.id})
            conn.commit()
    return User(row.uid, row.email, row.display_name)


def end_session(engine: Engine, token: str, reason: str = "sign-out") -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE user_sessions SET ended_at = now(), ended_reason = :r "
                "WHERE token_hash = :h AND ended_at IS NULL"
            ),
            {"h": _hash(token), "r": reason},
        )


def end_other_sessions(engine: Engine, user_id: int, keep_token: str | None = None, reason: str = "password") -> int:
    with engine.begin() as conn:
        return conn.execute(
            text(
                "UPDATE user_sessions SET ended_at = now(), ended_reason = :r WHERE user_id = :u "
                "AND ended_at IS NULL AND token_hash IS DISTINCT FROM :keep"
            ),
            {"u": user_id, "r": reason, "keep": _hash(keep_token) if keep_token else None},
        ).rowcount


# --- rate limits ------------------------------------------------------------------------------
def attempt(engine: Engine, keys: list[tuple[str, int]]) -> list[int]:
    """Count one attempt under every ``(key, limit)`` *before* the work it guards (a password or a
    token check): RateLimited, with nothing counted, when a key already has ``limit`` attempts in the
    window. Atomic in the database (``auth_attempt``, migration 0009): parallel attempts queue on
    the keys' locks, so a burst never gets more than ``limit`` checks. Returns the attempts' ids, for
    :func:`forgive` after a success."""
    with engine.begin() as conn:
        row = conn.execute(
            text("SELECT wait_s, attempt_ids FROM auth_attempt(:k, :l, :w)"),
            {"k": [k for k, _ in keys], "l": [n for _, n in keys], "w": WINDOW_S},
        ).one()
        conn.execute(text("DELETE FROM auth_failures WHERE at < now() - interval '1 day'"))
    if row.wait_s:
        raise RateLimited(row.wait_s)
    return list(row.attempt_ids)


def forgive(engine: Engine, attempt_ids: list[int]) -> None:
    """The guarded work succeeded: its attempts do not count as failures."""
    if attempt_ids:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM auth_failures WHERE id = ANY(:ids)"), {"ids": attempt_ids})


def client_key(peer: str | None, forwarded_for: str | None, trusted: tuple = ()) -> str:
    """The client address the per-client limits count under.

    ``peer`` is the address the web server reports for the connection (Streamlit reports loopback as
    ``None``); ``forwarded_for`` the request's ``X-Forwarded-For``. The web server (uvicorn) itself
    replaces the peer by the forwarded address when the peer is loopback, so a peer that appears in
    the header was really loopback. Without ``trusted`` proxies the key is that real peer, whatever the
    header says — a client cannot choose its key; with them, the header is followed from the right
    for as long as the address it reached is a trusted proxy.
    """
    import ipaddress

    hops = [h.strip() for h in (forwarded_for or "").split(",") if h.strip()]
    current = peer or "127.0.0.1"
    if peer is not None and peer in hops:
        current = "127.0.0.1"  # rewritten from the header by the web server: the real peer is loopback
    while hops:
        try:
            here = ipaddress.ip_address(current)
        except ValueError:
            break
        if not any(here in net for net in trusted):
            break
        candidate = hops.pop()
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            break
        current = candidate
    return current


def sign_in_keys(email: str, client: str | None) -> list[tuple[str, int]]:
    """The account's key is the address's one normal form (the same as the account look-up's)."""
    keys = [(f"account:{normal_email(email or '')}", LIMITS["account"])]
    if client:
        keys.append((f"client:{client}", LIMITS["client"]))
    return keys


def sign_in(engine: Engine, email: str, password: str, *, client: str | None = None) -> tuple[User, str]:
    """Count the attempt, check the password, and start a session: (user, session token)."""
    from .accounts import authenticate

    counted = attempt(engine, sign_in_keys(email, client))
    user = authenticate(engine, email, password)  # PermissionDenied: the attempt stays counted
    forgive(engine, counted)
    return user, start_session(engine, user.id)


def redeem_keys(user_id: int, client: str | None) -> list[tuple[str, int]]:
    keys = [(f"redeem-user:{user_id}", LIMITS["redeem"])]
    if client:
        keys.append((f"redeem-client:{client}", LIMITS["redeem"] * 2))
    return keys


def redeem(
    engine: Engine, user_id: int, token: str, *, client: str | None = None, display_name: str | None = None
) -> int:
    """Redeem an invitation under the rate limits; returns the family id."""
    from .invitations import redeem_invitation

    counted = attempt(engine, redeem_keys(user_id, client))
    try:
        family_id = redeem_invitation(engine, user_id, token, display_name=display_name)
    except ValidationError:  # a real token and a reason to refuse (already a member, name taken): no guess
        forgive(engine, counted)
        raise
    forgive(engine, counted)
    return family_id


def change_password(
    engine: Engine, user_id: int, old_password: str, new_password: str, *, keep_token: str | None = None
) -> int:
    """Change a password (the old one is checked) and end the person's other sessions."""
    from .accounts import authenticate, get_user, set_password

    authenticate(engine, get_user(engine, user_id).email, old_password)
    set_password(engine, user_id, new_password)
    return end_other_sessions(engine, user_id, keep_token)

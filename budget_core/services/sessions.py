"""Signed-in sessions and rate limits on guessing (sign-in, invitation redemption).

A session is a random token held by the browser session; the database keeps its hash. It ends
on sign-out, after ``IDLE_MINUTES`` without activity, and when the person's password changes
(all but the session that changed it). Rate limits count failures per account name and per
client address in a sliding window; the same words are used whether the account exists or not.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import Engine, text

from ..domain.storable import lookup_text
from ..errors import BudgetError, PermissionDenied
from .accounts import User

IDLE_MINUTES = 60
TOUCH_EVERY_S = 60  # last_seen_at is written at most this often per session
WINDOW_S = 15 * 60
LIMITS = {"account": 5, "client": 20, "redeem": 10}
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
def check_rate(engine: Engine, keys: list[tuple[str, int]]) -> None:
    """Raise RateLimited if any ``(key, limit)`` has ``limit`` failures within the window."""
    with engine.connect() as conn:
        for key, limit in keys:
            row = conn.execute(
                text(
                    "SELECT count(*) AS n, extract(epoch FROM min(at) + make_interval(secs => :w) - now()) AS wait "
                    "FROM (SELECT at FROM auth_failures WHERE key = :k AND at > now() - make_interval(secs => :w) "
                    "ORDER BY at DESC LIMIT :l) recent"
                ),
                {"k": key, "w": WINDOW_S, "l": limit},
            ).one()
            if row.n >= limit:
                raise RateLimited(max(1, int(row.wait or 1) + 1))


def record_failure(engine: Engine, keys: list[str]) -> None:
    with engine.begin() as conn:
        for key in keys:
            conn.execute(text("INSERT INTO auth_failures (key) VALUES (:k)"), {"k": key})
        conn.execute(text("DELETE FROM auth_failures WHERE at < now() - interval '1 day'"))


def sign_in_keys(email: str, client: str | None) -> list[tuple[str, int]]:
    keys = [(f"account:{lookup_text(email or '').strip().lower()}", LIMITS["account"])]
    if client:
        keys.append((f"client:{client}", LIMITS["client"]))
    return keys


def sign_in(engine: Engine, email: str, password: str, *, client: str | None = None) -> tuple[User, str]:
    """Check the limits, the password, and start a session: (user, session token)."""
    from .accounts import authenticate

    keys = sign_in_keys(email, client)
    check_rate(engine, keys)
    try:
        user = authenticate(engine, email, password)
    except PermissionDenied:
        record_failure(engine, [k for k, _ in keys])
        raise
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

    keys = redeem_keys(user_id, client)
    check_rate(engine, keys)
    try:
        return redeem_invitation(engine, user_id, token, display_name=display_name)
    except PermissionDenied:
        record_failure(engine, [k for k, _ in keys])
        raise


def change_password(
    engine: Engine, user_id: int, old_password: str, new_password: str, *, keep_token: str | None = None
) -> int:
    """Change a password (the old one is checked) and end the person's other sessions."""
    from .accounts import authenticate, get_user, set_password

    authenticate(engine, get_user(engine, user_id).email, old_password)
    set_password(engine, user_id, new_password)
    return end_other_sessions(engine, user_id, keep_token)

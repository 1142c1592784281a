"""Signed-in sessions and rate limits on guessing (sign-in, invitation redemption, password resets).

The sessions themselves — device sessions, their cookie's token (stored hashed), their lifetimes
and how each ends — are ``devices``; the functions here keep the names the CLI and tests know.
Rate limits count failures per account name and per client address in a sliding window; the same
words are used whether the account exists or not.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from ..domain.storable import lookup_text
from ..errors import BudgetError, PermissionDenied
from . import devices
from .accounts import User

IDLE_MINUTES = devices.IDLE_MINUTES
WINDOW_S = 15 * 60
LIMITS = {"account": 5, "client": 20, "redeem": 10}
SESSION_ENDED = "Your session has ended; please sign in again."


class RateLimited(BudgetError):
    """Too many failures recently; ``retry_in`` seconds until the next try is allowed."""

    def __init__(self, retry_in: int):
        super().__init__(f"Too many attempts. Try again in {retry_in} s.")
        self.retry_in = retry_in


def start_session(engine: Engine, user_id: int, *, keep: bool = False, user_agent: str | None = None) -> str:
    """Start a session and return its token (what a device's cookie holds)."""
    return devices.start_with_token(engine, user_id, keep=keep, user_agent=user_agent)


def check_session(engine: Engine, token: str, *, touch: bool = True, idle_minutes: int | None = None) -> User:
    """The session's user, or PermissionDenied (``devices.SignedOut``) when it ended, expired or never existed."""
    return devices.check(engine, token=token, touch=touch, idle_minutes=idle_minutes).user


def end_session(engine: Engine, token: str, reason: str = "sign-out") -> None:
    devices.end(engine, token=token, reason=reason)


def end_other_sessions(
    engine: Engine,
    user_id: int,
    keep_token: str | None = None,
    reason: str = "password",
    *,
    keep_session: int | None = None,
) -> int:
    """End the person's sessions but one (named by its token or its row); returns how many ended."""
    if keep_token is not None:
        with engine.connect() as conn:
            keep_session = conn.execute(
                text("SELECT id FROM user_sessions WHERE token_hash = :h"), {"h": devices.hash_token(keep_token)}
            ).scalar()
    return devices.end_all(engine, user_id, reason=reason, except_session=keep_session)


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


def verify_sign_in(engine: Engine, email: str, password: str, *, client: str | None = None) -> User:
    """Check the limits and the password; the user, or RateLimited / PermissionDenied (a failure counted)."""
    from .accounts import authenticate

    keys = sign_in_keys(email, client)
    check_rate(engine, keys)
    try:
        return authenticate(engine, email, password)
    except PermissionDenied:
        record_failure(engine, [k for k, _ in keys])
        raise


def sign_in(
    engine: Engine,
    email: str,
    password: str,
    *,
    client: str | None = None,
    keep: bool = False,
    user_agent: str | None = None,
) -> tuple[User, str]:
    """Check the limits, the password, and start a session: (user, session token)."""
    user = verify_sign_in(engine, email, password, client=client)
    return user, start_session(engine, user.id, keep=keep, user_agent=user_agent)


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
    engine: Engine,
    user_id: int,
    old_password: str,
    new_password: str,
    *,
    keep_token: str | None = None,
    keep_session: int | None = None,
) -> int:
    """Change a password (the old one is checked) and end the person's other sessions; returns how many ended."""
    from .accounts import authenticate, get_user, set_password

    authenticate(engine, get_user(engine, user_id).email, old_password)
    set_password(engine, user_id, new_password)
    return end_other_sessions(engine, user_id, keep_token, keep_session=keep_session)

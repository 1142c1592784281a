"""Signed-in sessions and rate limits on guessing (sign-in, invitation redemption, password resets).

The sessions themselves — device sessions, their cookie's token (stored hashed), their lifetimes
and how each ends — are ``devices``; the functions here keep the names the CLI and tests know. A
session ends on sign-out, after ``IDLE_MINUTES`` without the person's own activity unless kept (a
page run caused by someone else's change does not count: the frame passes ``touch=False`` then), and
when the person's password changes (all but the session that changed it). Rate limits count attempts
per account (the address's normal form) and per client address in a sliding window, before the
password or token is checked; the same words are used whether the account exists or not.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from ..domain.storable import normal_email
from ..errors import BudgetError, ValidationError
from . import devices
from .accounts import User

IDLE_MINUTES = devices.IDLE_MINUTES
WINDOW_S = 15 * 60
LIMITS = {"account": 5, "client": 20, "redeem": 10, "signup": 10, "signup-address": 3}
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


def verify_sign_in(engine: Engine, email: str, password: str, *, client: str | None = None) -> User:
    """Count the attempt, then check the password; the user, or RateLimited / PermissionDenied (the
    attempt stays counted)."""
    from .accounts import authenticate

    counted = attempt(engine, sign_in_keys(email, client))
    user = authenticate(engine, email, password)
    forgive(engine, counted)
    return user


def sign_in(
    engine: Engine,
    email: str,
    password: str,
    *,
    client: str | None = None,
    keep: bool = False,
    user_agent: str | None = None,
) -> tuple[User, str]:
    """Count the attempt, check the password, and start a session: (user, session token)."""
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

    counted = attempt(engine, redeem_keys(user_id, client))
    try:
        family_id = redeem_invitation(engine, user_id, token, display_name=display_name)
    except ValidationError:  # a real token and a reason to refuse (already a member, name taken): no guess
        forgive(engine, counted)
        raise
    forgive(engine, counted)
    return family_id


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

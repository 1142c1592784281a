"""Forgotten passwords: single-use reset links, asked for by e-mail or made by a manager.

A reset token is 192 random bits from ``secrets``; only its SHA-256 is stored. A link works once,
for ``RESET_HOURS``; a newer link for the same account replaces any open one. Using it sets the new
password and ends every session of the account (the device that used it is signed in afresh).

* Asked for by e-mail (when ``BUDGET_SMTP_URL`` is set): rate-limited per account name and per
  client, answered with the same words whether an account uses that address or not; the link goes
  out through the durable ``account_mail`` queue, whose body is blanked once sent.
* Made by a manager on the Family page (the embedded default has no e-mail): only for another
  current member of that family whose every family the manager also manages
  (``account_reach``, migration 0008) — otherwise the link would hand over an account that opens a
  family the manager does not manage. It is one change of the family, in its activity feed.

A family's only manager who forgot their password has nobody to ask in the app: the server's
operator sets one with ``budget user password EMAIL``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, text

from ..config import link_base
from ..domain.storable import normal_email
from ..errors import NotFound, PermissionDenied, ValidationError
from ..ops import notifications
from ._uow import family_write
from .access import FamilyAccess
from .accounts import HASHER, User, check_password, find_user
from .sessions import attempt, forgive

RESET_HOURS = 1
TOKEN_BYTES = 24
LIMITS = {"account": 3, "client": 10, "use": 20}
INVALID = "This password reset link is not valid: it may have expired or been used already. Ask for a new one."
ASKED = (
    "If an account uses that address, a link to choose a new password is on its way to it. "
    f"The link works once, for {RESET_HOURS} hour."
)
NO_MAIL = (
    "This server cannot send e-mail. Ask a manager of your family for a password reset link: they make "
    "one on the Family page. If you are your family's only manager, ask whoever runs this server to set a "
    "new password with 'budget user password YOUR-EMAIL'."
)
ONLY_MANAGER = (
    "You are this family's only manager: if you forget your password, nobody here can make you a reset "
    "link. Make someone else a manager too, or ask whoever runs this server ('budget user password')."
)


@dataclass(frozen=True, slots=True)
class NewReset:
    """A just-made reset link: the only time its token exists in clear."""

    user: User
    token: str
    expires_at: datetime

    def url(self, base_url: str | None = None) -> str:
        """The link to send, starting with the address the manager is using (see ``config.link_base``)."""
        return f"{link_base(base_url)}/?reset={self.token}"


def _hash(token: str) -> bytes:
    return hashlib.sha256((token or "").strip().encode()).digest()


def _issue(conn: Connection, user_id: int, made_by: int | None) -> tuple[str, datetime]:
    """Replace the account's open reset links with a new one; (token, expiry)."""
    conn.execute(
        text("UPDATE password_resets SET used_at = now() WHERE user_id = :u AND used_at IS NULL"), {"u": user_id}
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = conn.execute(
        text(
            "INSERT INTO password_resets (user_id, token_hash, made_by, expires_at) "
            "VALUES (:u, :h, :m, now() + make_interval(hours => :hrs)) RETURNING expires_at"
        ),
        {"u": user_id, "h": _hash(token), "m": made_by, "hrs": RESET_HOURS},
    ).scalar_one()
    return token, expires_at


def request_by_email(engine: Engine, email: str, *, base_url: str | None = None, client: str | None = None) -> str:
    """'Forgot your password?': e-mail a reset link if an account uses ``email``; returns the answer
    to show, the same either way. ValidationError when this server sends no e-mail (``NO_MAIL``)."""
    if not notifications.channel_configured("email"):
        raise ValidationError(NO_MAIL)
    keys = [(f"reset-account:{normal_email(email or '')}", LIMITS["account"])]
    if client:
        keys.append((f"reset-client:{client}", LIMITS["client"]))
    attempt(engine, keys)  # every request counts toward the limits, found or not
    user = find_user(engine, email)
    if user is None:
        return ASKED
    with engine.begin() as conn:
        token, expires_at = _issue(conn, user.id, None)
        notifications.enqueue_account_mail(
            conn,
            "password_reset",
            user.email,
            "Choose a new password for Family Budget",
            f"Someone (we hope you) asked to reset the password of {user.email}.\n\n"
            f"Open this link to choose a new one (valid once, until {expires_at:%Y-%m-%d %H:%M} UTC):\n"
            f"{link_base(base_url)}/?reset={token}\n\n"
            "If it was not you, ignore this e-mail: your password stays as it is.\n",
        )
    return ASKED


def make_link(access: FamilyAccess, user_id: int) -> NewReset:
    """A manager makes a reset link for another member of the family (see the module's rules)."""
    if user_id == access.user_id:
        raise ValidationError("To change your own password, use your Account page (it asks for the current one).")
    with family_write(access, role="manager", action="make password reset links") as w:
        member = w.conn.execute(
            text(
                "SELECT m.display_name, u.email, u.display_name AS account_name FROM members m "
                "JOIN users u ON u.id = m.user_id WHERE m.family_id = :f AND m.user_id = :u AND m.removed_at IS NULL"
            ),
            {"f": access.family_id, "u": user_id},
        ).first()
        if member is None:
            raise NotFound("That person is not a member of this family.")
        if not w.conn.execute(text("SELECT account_reach(:m, :t)"), {"m": access.user_id, "t": user_id}).scalar():
            raise PermissionDenied(
                f"{member.display_name} is also in a family you do not manage, so you cannot reset their "
                "password: they can ask for a link by e-mail (if this server sends e-mail), or whoever runs "
                "this server can set one with 'budget user password'."
            )
        token, expires_at = _issue(w.conn, user_id, access.user_id)
        w.emit("member.reset_link", {"actor": w.actor_name, "member": member.display_name})
    return NewReset(User(user_id, member.email, member.account_name), token, expires_at)


def only_manager(access: FamilyAccess) -> bool:
    """Whether the handle's person is the family's only current manager."""
    if not access.is_manager:
        return False
    with access.read() as conn:
        managers = conn.execute(
            text("SELECT count(*) FROM members WHERE family_id = :f AND role = 'manager' AND removed_at IS NULL"),
            {"f": access.family_id},
        ).scalar_one()
    return managers == 1


def peek(engine: Engine, token: str) -> User:
    """The account an open reset link is for (the form says whose password it changes)."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT u.id, u.email, u.display_name FROM password_resets r JOIN users u ON u.id = r.user_id "
                "WHERE r.token_hash = :h AND r.used_at IS NULL AND r.expires_at > now()"
            ),
            {"h": _hash(token)},
        ).first()
    if row is None:
        raise PermissionDenied(INVALID)
    return User(*row)


def reset(engine: Engine, token: str, new_password: str, *, client: str | None = None) -> User:
    """Use a reset link: set ``new_password`` and end every session of the account. The password is
    checked first, so a refused one leaves the link usable; guesses are rate-limited per client."""
    keys = [(f"reset-use-client:{client}", LIMITS["use"])] if client else []
    hashed = HASHER.hash(check_password(new_password))
    counted = attempt(engine, keys) if keys else []  # counted before the token is checked
    with engine.begin() as conn:
        row = conn.execute(
            text(
                "UPDATE password_resets SET used_at = now() WHERE token_hash = :h AND used_at IS NULL "
                "AND expires_at > now() RETURNING user_id"
            ),
            {"h": _hash(token)},
        ).first()
        if row is not None:
            user = conn.execute(
                text(
                    "UPDATE users SET password_hash = :p, password_changed_at = now() WHERE id = :u "
                    "RETURNING id, email, display_name"
                ),
                {"p": hashed, "u": row.user_id},
            ).one()
            conn.execute(
                text(
                    "UPDATE user_sessions SET ended_at = now(), ended_reason = 'reset' "
                    "WHERE user_id = :u AND ended_at IS NULL"
                ),
                {"u": row.user_id},
            )
    if row is None:
        raise PermissionDenied(INVALID)  # the attempt stays counted
    forgive(engine, counted)
    return User(*user)

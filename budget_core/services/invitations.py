"""Invitations: random single-use tokens, stored hashed, expiring, revocable, bound to a role.

An invitation works only while the manager who made it is still a current manager of the family:
removing or demoting them revokes their open invitations (``members``), and redeeming checks it
again under the family's version lock, so a link made before a removal never brings anyone back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, text

from ..config import link_base, settings
from ..domain.storable import check_storable
from ..errors import NotFound, PermissionDenied, ValidationError
from ..ops.reliability import measure
from ._uow import family_write, joining_write
from .access import FamilyAccess
from .members import ROLES

TOKEN_BYTES = 24  # 192 bits from the OS's CSPRNG
INVALID = "This invitation link is not valid: it may have expired, been used or been revoked. Ask for a new one."


@dataclass(frozen=True, slots=True)
class Invitation:
    id: int
    family_id: int
    role: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= now else "open"


@dataclass(frozen=True, slots=True)
class NewInvitation:
    """A just-made invitation: the only time the token exists in clear."""

    invitation: Invitation
    token: str
    base_url: str = ""

    @property
    def url(self) -> str:
        """The link to send: the app's address (``base_url``) with the token."""
        return f"{link_base(self.base_url)}/?invite={self.token}"


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.strip().encode()).digest()


@measure("invitations.create")
def create_invitation(
    access: FamilyAccess,
    *,
    role: str = "member",
    hours: int | None = None,
    email: str | None = None,
    base_url: str | None = None,
) -> NewInvitation:
    """Managers invite someone as ``role``; the link expires after ``hours`` (default 48, at most 7 days)
    and starts with ``base_url``, the address the manager is using (see ``link_base``).

    With ``email`` (and ``BUDGET_SMTP_URL`` set) the link is also e-mailed, through the
    notification queue; the returned link works whether or not the mail goes out.
    """
    from ..ops import notifications
    from .accounts import check_email

    email = check_email(email) if email else None
    cfg = settings()
    hours = cfg.invitation_hours if hours is None else hours
    if role not in ROLES:
        raise ValidationError(f"An invitation is for a 'member' or a 'manager', not '{role}'.")
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= cfg.max_invitation_hours:
        raise ValidationError(f"An invitation lasts from 1 hour to {cfg.max_invitation_hours} hours (7 days).")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    family_id = access.family_id
    with family_write(access, role="manager", action="invite people") as w:
        row = w.conn.execute(
            text(
                "INSERT INTO invitations (family_id, token_hash, role, created_by, expires_at) "
                "VALUES (:f, :h, :r, :u, now() + make_interval(hours => :hrs)) "
                "RETURNING id, created_at, expires_at"
            ),
            {"f": family_id, "h": hash_token(token), "r": role, "u": access.user_id, "hrs": hours},
        ).one()
        w.conn.execute(  # how the token finds its family before the family is known (migration 0013)
            text("INSERT INTO invitation_tokens (token_hash, family_id, invitation_id) VALUES (:h, :f, :i)"),
            {"h": hash_token(token), "f": family_id, "i": row.id},
        )
        w.emit(
            "invitation.created",
            {"actor": w.actor_name, "role": role, "invitation_id": row.id, "expires_at": row.expires_at.isoformat()},
        )
        inv = Invitation(row.id, family_id, role, w.actor_name or "?", row.created_at, row.expires_at, None, None)
        made = NewInvitation(inv, token, base_url or "")
        if email:
            notifications.enqueue(
                w.conn,
                family_id,
                "email",
                "invitation",
                f"{w.actor_name} invites you to {w.family['name']}",
                f"{w.actor_name} invites you to share the family budget of {w.family['name']} as a {role}.\n\n"
                f"Open this link to join (valid until {row.expires_at:%Y-%m-%d %H:%M} UTC):\n{made.url}\n",
                recipient=email,
            )
    return made


def list_invitations(access: FamilyAccess) -> list[Invitation]:
    with access.read() as conn:
        rows = conn.execute(
            text(
                "SELECT i.id, i.family_id, i.role, coalesce(m.display_name, '?'), i.created_at, i.expires_at, "
                "i.used_at, i.revoked_at FROM invitations i "
                "LEFT JOIN members m ON m.family_id = i.family_id AND m.user_id = i.created_by "
                "WHERE i.family_id = :f ORDER BY i.created_at DESC"
            ),
            {"f": access.family_id},
        ).all()
    return [Invitation(*r) for r in rows]


def revoke_invitation(access: FamilyAccess, invitation_id: int) -> None:
    with family_write(access, role="manager", action="revoke invitations") as w:
        row = w.conn.execute(
            text(
                "UPDATE invitations SET revoked_at = now() WHERE family_id = :f AND id = :i "
                "AND used_at IS NULL AND revoked_at IS NULL RETURNING role"
            ),
            {"f": access.family_id, "i": invitation_id},
        ).first()
        if row is None:
            raise NotFound("There is no open invitation with that number; it may be used or revoked already.")
        w.emit("invitation.revoked", {"actor": w.actor_name, "invitation_id": invitation_id, "role": row.role})


def peek_invitation(engine: Engine, token: str) -> tuple[int, str, str]:
    """(family id, family name, role) of an open invitation, for the page that welcomes the invitee."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT family_id, family_name, role FROM invitation_lookup(:h) WHERE open"),
            {"h": hash_token(token or "")},
        ).first()
    if row is None:
        raise PermissionDenied(INVALID)
    return tuple(row)


def _member_name(conn, family_id: int, user_id: int, typed: str | None, account_name: str) -> str:
    """The name the joiner will have in the family, unique among its current members (case-insensitively):
    a typed name that is taken is refused; the account's own name gets " (2)", " (3)" … when taken."""
    from .accounts import check_display_name
    from .members import name_taken

    if typed is not None and " ".join(typed.split()):
        name = check_display_name(typed)
        if name_taken(conn, family_id, name, other_than=user_id):
            raise ValidationError(f"Someone in this family is already called {name}; choose another name.")
        return name
    base = check_storable(" ".join(account_name.split())[:54], "name")
    name, n = base, 1
    while name_taken(conn, family_id, name, other_than=user_id):
        n += 1
        name = f"{base} ({n})"
    return name


@measure("invitations.redeem")
def redeem_invitation(
    engine: Engine, user_id: int, token: str, *, display_name: str | None = None, now: datetime | None = None
) -> int:
    """Join the invitation's family with exactly the invitation's role; returns the family id."""
    with engine.connect() as conn:
        inv = conn.execute(text("SELECT family_id FROM invitation_lookup(:h)"), {"h": hash_token(token or "")}).first()
    if inv is None:
        raise PermissionDenied(INVALID)
    family_id = inv.family_id
    with joining_write(engine, family_id, user_id) as w:
        row = w.conn.execute(
            text(
                "SELECT i.id, i.role, i.used_at, i.revoked_at, i.expires_at, EXISTS (SELECT 1 FROM members m "
                "WHERE m.family_id = i.family_id AND m.user_id = i.created_by AND m.role = 'manager' "
                "AND m.removed_at IS NULL) AS maker_is_manager FROM invitations i "
                "WHERE i.family_id = :f AND i.token_hash = :h FOR UPDATE OF i"
            ),
            {"f": family_id, "h": hash_token(token)},
        ).one()
        moment = now or datetime.now(UTC)
        if row.used_at or row.revoked_at or row.expires_at <= moment or not row.maker_is_manager:
            raise PermissionDenied(INVALID)
        if w.actor_role is not None:
            raise ValidationError("You are already a member of this family.")
        user = w.conn.execute(text("SELECT display_name FROM users WHERE id = :u"), {"u": user_id}).first()
        if user is None:
            raise NotFound("That account does not exist.")
        name = _member_name(w.conn, family_id, user_id, display_name, user.display_name)
        w.conn.execute(
            text(
                "INSERT INTO members (family_id, user_id, role, display_name) VALUES (:f, :u, :r, :n) "
                "ON CONFLICT (family_id, user_id) DO UPDATE SET role = EXCLUDED.role, "
                "display_name = EXCLUDED.display_name, removed_at = NULL, joined_at = now()"
            ),
            {"f": family_id, "u": user_id, "r": row.role, "n": name},
        )
        w.conn.execute(
            text("UPDATE invitations SET used_at = now(), used_by = :u WHERE family_id = :f AND id = :i"),
            {"u": user_id, "f": family_id, "i": row.id},
        )
        w.emit("member.joined", {"actor": name, "member": name, "role": row.role})
        from ..ops import notifications

        notifications.enqueue(
            w.conn, family_id, "push", "member_joined", "New member", f"{name} joined {w.family['name']} as {row.role}"
        )
    return family_id

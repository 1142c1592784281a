"""Members of a family: list, change a role, remove.

Roles stay taken away: removing a member, or making a manager a plain member, revokes every open
invitation they made, in the same change and its one event (``invitations_revoked`` lists them),
so a link made while they were a manager cannot bring them (or a second account of theirs) back.
An invitation is also redeemable only while its maker is a current manager (``invitations``), and
a family always keeps a manager (checked here, and by the database at commit, migration 0009).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from ..errors import NotFound, ValidationError
from ._uow import family_write
from .access import FamilyAccess

ROLES = ("manager", "member")


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    display_name: str
    email: str
    role: str
    joined_at: datetime


def list_members(access: FamilyAccess) -> list[Member]:
    with access.read() as conn:
        rows = conn.execute(
            text(
                "SELECT m.user_id, m.display_name, u.email, m.role, m.joined_at FROM members m "
                "JOIN users u ON u.id = m.user_id WHERE m.family_id = :f AND m.removed_at IS NULL "
                "ORDER BY m.role, m.display_name"
            ),
            {"f": access.family_id},
        ).all()
    return [Member(*r) for r in rows]


def _managers_left(conn, family_id: int, without: int) -> int:
    return conn.execute(
        text(
            "SELECT count(*) FROM members WHERE family_id = :f AND role = 'manager' AND removed_at IS NULL "
            "AND user_id <> :u"
        ),
        {"f": family_id, "u": without},
    ).scalar_one()


def _current_member(conn, family_id: int, user_id: int):
    """(role, display_name) of a current member, or NotFound."""
    row = conn.execute(
        text("SELECT role, display_name FROM members WHERE family_id = :f AND user_id = :u AND removed_at IS NULL"),
        {"f": family_id, "u": user_id},
    ).first()
    if row is None:
        raise NotFound("That person is not a member of this family.")
    return row


def _revoke_invitations_by(conn, family_id: int, user_id: int) -> list[int]:
    """Revoke the open invitations ``user_id`` made in the family; their ids."""
    return list(
        conn.execute(
            text(
                "UPDATE invitations SET revoked_at = now() WHERE family_id = :f AND created_by = :u "
                "AND used_at IS NULL AND revoked_at IS NULL RETURNING id"
            ),
            {"f": family_id, "u": user_id},
        ).scalars()
    )


def change_role(access: FamilyAccess, user_id: int, role: str) -> None:
    if role not in ROLES:
        raise ValidationError(f"A role is 'manager' or 'member', not '{role}'.")
    family_id = access.family_id
    with family_write(access, role="manager", action="change roles") as w:
        row = _current_member(w.conn, family_id, user_id)
        if row.role == "manager" and role == "member" and _managers_left(w.conn, family_id, user_id) == 0:
            raise ValidationError("A family needs at least one manager; make someone else a manager first.")
        w.conn.execute(
            text("UPDATE members SET role = :r WHERE family_id = :f AND user_id = :u"),
            {"r": role, "f": family_id, "u": user_id},
        )
        revoked = _revoke_invitations_by(w.conn, family_id, user_id) if role == "member" else []
        w.emit(
            "member.role_changed",
            {"actor": w.actor_name, "member": row.display_name, "role": role, "invitations_revoked": revoked},
        )


def remove_member(access: FamilyAccess, user_id: int) -> None:
    """Remove a member (managers only). Their past transactions stay, still signed with their name;
    the open invitations they made are revoked."""
    family_id = access.family_id
    with family_write(access, role="manager", action="remove members") as w:
        row = _current_member(w.conn, family_id, user_id)
        if row.role == "manager" and _managers_left(w.conn, family_id, user_id) == 0:
            raise ValidationError("A family needs at least one manager; make someone else a manager first.")
        w.conn.execute(
            text("UPDATE members SET removed_at = now() WHERE family_id = :f AND user_id = :u"),
            {"f": family_id, "u": user_id},
        )
        revoked = _revoke_invitations_by(w.conn, family_id, user_id)
        w.emit("member.removed", {"actor": w.actor_name, "member": row.display_name, "invitations_revoked": revoked})


def member_by_email(access: FamilyAccess, email: str) -> Member:
    """The current member with that e-mail address (its normal form), or NotFound naming it."""
    from ..domain.storable import normal_email

    key = normal_email(email)
    with access.read() as conn:
        row = conn.execute(
            text(
                "SELECT m.user_id, m.display_name, u.email, m.role, m.joined_at FROM members m "
                "JOIN users u ON u.id = m.user_id WHERE m.family_id = :f AND m.removed_at IS NULL "
                "AND u.email_normal = :e"
            ),
            {"f": access.family_id, "e": key},
        ).first()
    if row is None:
        raise NotFound(f"{email} is not a member of this family; 'budget member list' shows who is.")
    return Member(*row)


def name_taken(conn, family_id: int, name: str, *, other_than: int | None = None) -> bool:
    """Whether a current member of the family is already called ``name`` (case-insensitively)."""
    return (
        conn.execute(
            text(
                "SELECT 1 FROM members WHERE family_id = :f AND removed_at IS NULL AND lower(display_name) = lower(:n) "
                "AND user_id IS DISTINCT FROM :u"
            ),
            {"f": family_id, "n": name, "u": other_than},
        ).first()
        is not None
    )

"""Members of a family: list, change a role, remove."""

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
        w.emit("member.role_changed", {"actor": w.actor_name, "member": row.display_name, "role": role})


def remove_member(access: FamilyAccess, user_id: int) -> None:
    """Remove a member (managers only). Their past transactions stay, still signed with their name."""
    family_id = access.family_id
    with family_write(access, role="manager", action="remove members") as w:
        row = _current_member(w.conn, family_id, user_id)
        if row.role == "manager" and _managers_left(w.conn, family_id, user_id) == 0:
            raise ValidationError("A family needs at least one manager; make someone else a manager first.")
        w.conn.execute(
            text("UPDATE members SET removed_at = now() WHERE family_id = :f AND user_id = :u"),
            {"f": family_id, "u": user_id},
        )
        w.emit("member.removed", {"actor": w.actor_name, "member": row.display_name})

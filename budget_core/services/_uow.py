"""The write path every change to a family goes through, as DESIGN.md fixes it.

One database transaction that (1) bumps the family's version, which also serialises that
family's writers, (2) checks the actor's role, (3) lets the caller write rows, (4) appends
exactly one event, and then (5) sends ``pg_notify('family_changes', '<family>:<version>')``.

The notification is sent right after commit by default: NOTIFY inside a transaction takes a
global lock at commit and serialises all committers (see bench/write_path.py). A notification
lost between commit and NOTIFY only delays a change: watchers re-read versions periodically.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from sqlalchemy import Connection, Engine, text

from ..db.scope import scope
from ..errors import PermissionDenied, ValidationError

CHANNEL = "family_changes"
NOTIFY_INSIDE_TRANSACTION = False  # measured in bench/write_path.py; after commit is faster

ROLE_RANK = {"member": 1, "manager": 2}


@dataclass
class FamilyWrite:
    """What a service sees inside one family's write transaction."""

    conn: Connection
    family_id: int
    version: int
    family: dict
    actor_id: int | None
    actor_name: str | None
    actor_role: str | None
    event: tuple[str, dict] | None = field(default=None)

    def emit(self, kind: str, payload: dict[str, Any]) -> None:
        """Record this change's one event (its kind and what the activity feed needs to say it)."""
        if self.event is not None:
            raise RuntimeError("one change writes one event")
        self.event = (kind, payload)


class NothingToWrite(Exception):
    """Raised inside ``family_write`` to roll back without writing (e.g. an idempotent replay)."""

    def __init__(self, result: Any):
        super().__init__("nothing to write")
        self.result = result


def not_a_member(family_id: int) -> PermissionDenied:
    # The same words whether the family exists or not: ids reveal nothing.
    return PermissionDenied(f"You are not a member of family {family_id}; ask one of its managers for an invitation.")


@contextmanager
def family_write(engine: Engine, family_id: int, actor_id: int | None, *, role: str | None = "member",
                 action: str = "do this") -> Iterator[FamilyWrite]:
    """Open one family's write transaction.

    ``role`` is the least role the actor needs (``"member"`` or ``"manager"``); ``None`` skips the
    membership check (redeeming an invitation, creating the family). The body must call
    ``emit`` once. Raising ``NothingToWrite(result)`` rolls everything back.
    """
    if not isinstance(family_id, int) or isinstance(family_id, bool):
        raise ValidationError(f"'{family_id}' is not a family id.")
    notify_version = None
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            scope(conn, family_id, actor_id)
            row = conn.execute(
                text("UPDATE families SET version = version + 1 WHERE id = :f "
                     "RETURNING id, version, name, currency, timezone, monthly_income, savings_goal, "
                     "period_start_day, big_expense_threshold"),
                {"f": family_id},
            ).mappings().first()
            if row is None:
                raise not_a_member(family_id)
            actor_name = actor_role = None
            if actor_id is not None:
                member = conn.execute(
                    text("SELECT role, display_name FROM members "
                         "WHERE family_id = :f AND user_id = :u AND removed_at IS NULL"),
                    {"f": family_id, "u": actor_id},
                ).first()
                if member is not None:
                    actor_role, actor_name = member
            if role is not None:
                if actor_role is None:
                    raise not_a_member(family_id)
                if ROLE_RANK[actor_role] < ROLE_RANK[role]:
                    raise PermissionDenied(f"Only a manager of this family can {action}.")
            work = FamilyWrite(conn, family_id, row["version"], dict(row), actor_id, actor_name, actor_role)
            yield work
            if work.event is None:
                raise RuntimeError("a family change must record an event")
            kind, payload = work.event
            record_event(conn, family_id, work.version, actor_id, kind, payload)
            trans.commit()
            notify_version = work.version
        except BaseException:
            trans.rollback()
            raise
        if notify_version is not None:
            notify_after_commit(conn, family_id, notify_version)


def record_event(conn: Connection, family_id: int, version: int, actor_id: int | None, kind: str,
                 payload: dict) -> None:
    """Append the change's event; with NOTIFY_INSIDE_TRANSACTION also notify before commit."""
    conn.execute(
        text("INSERT INTO events (family_id, version, actor_id, kind, payload) "
             "VALUES (:f, :v, :a, :k, CAST(:p AS jsonb))"),
        {"f": family_id, "v": version, "a": actor_id, "k": kind, "p": _json(payload)},
    )
    if NOTIFY_INSIDE_TRANSACTION:
        _notify(conn, family_id, version)


def notify_after_commit(conn: Connection, family_id: int, version: int) -> None:
    if not NOTIFY_INSIDE_TRANSACTION:
        _notify(conn, family_id, version)
        conn.commit()


def _notify(conn: Connection, family_id: int, version: int) -> None:
    conn.execute(text("SELECT pg_notify(:c, :m)"), {"c": CHANNEL, "m": f"{family_id}:{version}"})


def _json(payload: dict) -> str:
    import json

    return json.dumps(payload, default=str, separators=(",", ":"))

"""The write path every change to a family goes through, as DESIGN.md fixes it.

One database transaction that (1) bumps the family's version, which also serialises that
family's writers, (2) checks the actor's role, (3) lets the caller write rows, (4) appends
exactly one event, and then (5) sends ``pg_notify('family_changes', '<family>:<version>')``.

The notification is sent right after commit by default: NOTIFY inside a transaction takes a
global lock at commit and serialises all committers (see bench/write_path.py). A notification
lost between commit and NOTIFY only delays a change: watchers re-read versions periodically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, text

from ..db.door import door_errors, enter
from ..db.scope import scope
from .access import FamilyAccess, check_family_id, not_a_member

CHANNEL = "family_changes"
NOTIFY_INSIDE_TRANSACTION = False  # measured in bench/write_path.py; after commit is faster


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


@contextmanager
def family_write(access: FamilyAccess, *, role: str = "member", action: str = "do this") -> Iterator[FamilyWrite]:
    """Open one family's write transaction as the handle's member.

    ``role`` is the least role the actor needs (``"member"`` or ``"manager"``), checked by the
    database after the version lock is taken, so a removal or demotion that committed first wins.
    The body must call ``emit`` once. Raising ``NothingToWrite(result)`` rolls everything back.
    """
    access.require(role, action)
    with _write(
        access.engine,
        access.family_id,
        lambda conn: enter(conn, access.family_id, access.user_id, role=role, bump=True, action=action),
        access.user_id,
    ) as work:
        yield work


@contextmanager
def joining_write(engine: Engine, family_id: int, user_id: int) -> Iterator[FamilyWrite]:
    """A write by someone who may not be a member yet (redeeming an invitation): the caller checks
    that they may join; ``actor_role`` is their current role or None. Bumps the version like every change."""
    check_family_id(family_id)

    def bump(conn: Connection):
        scope(conn, family_id, user_id)
        row = (
            conn.execute(
                text(
                    "UPDATE families f SET version = f.version + 1 FROM (SELECT 1) one LEFT JOIN members m "
                    "ON m.family_id = :f AND m.user_id = :u AND m.removed_at IS NULL WHERE f.id = :f "
                    "RETURNING f.id, f.version, f.name, trim(f.currency) AS currency, f.timezone, f.monthly_income, "
                    "f.savings_goal, f.period_start_day, f.big_expense_threshold, m.role, m.display_name, f.locale"
                ),
                {"f": family_id, "u": user_id},
            )
            .mappings()
            .first()
        )
        if row is None:
            raise not_a_member(family_id)
        return row

    with _write(engine, family_id, bump, user_id) as work:
        yield work


@contextmanager
def _write(engine: Engine, family_id: int, begin: Callable[[Connection], Any], actor_id: int) -> Iterator[FamilyWrite]:
    notify_version = None
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            row = begin(conn)
            work = FamilyWrite(conn, family_id, row["version"], dict(row), actor_id, row["display_name"], row["role"])
            yield work
            if work.event is None:
                raise RuntimeError("a family change must record an event")
            kind, payload = work.event
            record_event(conn, family_id, work.version, work.actor_id, kind, payload)
            with door_errors():  # deferred checks (a family keeps a manager, migration 0009) speak at commit
                trans.commit()
            notify_version = work.version
        except BaseException:
            trans.rollback()
            raise
        if notify_version is not None:
            notify_after_commit(conn, family_id, notify_version)


def record_event(
    conn: Connection, family_id: int, version: int, actor_id: int | None, kind: str, payload: dict
) -> None:
    """Append the change's event; with NOTIFY_INSIDE_TRANSACTION also notify before commit."""
    conn.execute(
        text(
            "INSERT INTO events (family_id, version, actor_id, kind, payload) "
            "VALUES (:f, :v, :a, :k, CAST(:p AS jsonb))"
        ),
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

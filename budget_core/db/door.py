"""The database side of the one door into a family (migration 0007): entering, and its errors.

``enter(conn, family_id, user_id)`` scopes the current transaction to a family after the
database checked that the person is a current member (``family_enter``); it refuses a
transaction already scoped to another family. ``door_errors`` turns the door's SQLSTATEs (class
``FB``) into the typed errors of ``budget_core.errors``, with the database's words, which are
written for the person.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from ..errors import NotFound, PermissionDenied, ValidationError

ENTER = text("SELECT * FROM family_enter(:f, :u, :role, :bump)")


class SavedMeanwhile(Exception):
    """``ledger_add`` found its ``client_id`` committed by a concurrent call: ask again (a replay)."""


def enter(
    conn: Connection,
    family_id: int,
    user_id: int,
    *,
    role: str | None = None,
    bump: bool = False,
    action: str = "do this",
):
    """Scope ``conn``'s transaction to ``family_id`` as member ``user_id``; the family row, role and name."""
    with door_errors(action):
        return conn.execute(ENTER, {"f": family_id, "u": user_id, "role": role, "bump": bump}).mappings().one()


@contextmanager
def door_errors(action: str = "do this") -> Iterator[None]:
    """Translate the door's errors (from SQLAlchemy or a raw psycopg connection); every other
    database error passes through unchanged."""
    try:
        yield
    except (DBAPIError, psycopg.Error) as err:
        orig = err.orig if isinstance(err, DBAPIError) else err
        if not isinstance(orig, psycopg.Error) or not (orig.sqlstate or "").startswith("FB"):
            raise
        state, words = orig.sqlstate, orig.diag.message_primary or "Not allowed."
        if state == "FB402":
            raise PermissionDenied(f"Only a manager of this family can {action}.") from None
        if state == "FB403":
            raise PermissionDenied(words) from None
        if state == "FB404":
            raise NotFound(words) from None
        if state == "FB409":
            raise SavedMeanwhile() from None
        raise ValidationError(words) from None

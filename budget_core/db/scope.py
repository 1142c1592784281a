"""Which family (and which person) the current database transaction acts for.

Row-level security policies read these settings (migration 0004): a family-scoped row is
visible only when its ``family_id`` equals ``app.family_id``; a person's own memberships are
visible through ``app.user_id``. They are set with ``SET LOCAL``: they end with the transaction,
so they work through a transaction-mode pooler and never leak to the next user of a pooled
connection. ``SET LOCAL`` rather than ``set_config(…, true)`` (the same on PostgreSQL) because Citus
passes ``SET LOCAL`` on to the workers a transaction's queries run on (with
``citus.propagate_set_commands = 'local'``) and ``set_config`` calls it does not. Call ``scope``
first in every transaction that touches family data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

_UNFILTERED = text("SET LOCAL row_security = off")


def scope(conn: Connection, family_id: int | None = None, user_id: int | None = None) -> None:
    # One round trip; the values are whole numbers or empty (``_setting``), never text from outside.
    conn.exec_driver_sql(
        f"SET LOCAL app.family_id = '{_setting(family_id)}'; SET LOCAL app.user_id = '{_setting(user_id)}'"
    )


def _setting(value: int | None) -> str:
    # An id outside bigint belongs to no row; it is set as "none" (which matches nothing, like any
    # unknown id) because the policies' cast of it to bigint would fail every query with a DataError.
    if value is None or not -(2**63) <= int(value) < 2**63:
        return ""
    return str(int(value))


@contextmanager
def scoped(engine: Engine, family_id: int | None = None, user_id: int | None = None) -> Iterator[Connection]:
    """A connection whose (implicit) transaction acts for ``family_id`` / ``user_id``."""
    with engine.connect() as conn:
        scope(conn, family_id, user_id)
        yield conn


def unfiltered(conn: Connection) -> None:
    """Make the current transaction read every family's rows or fail: for system work across
    families on the owner's engine (the dispatcher, analysts' lists, restore's emptiness check).

    With ``row_security = off`` a query that a policy would filter raises "query would be affected
    by row-level security policy" instead of answering from a subset. Only superusers and BYPASSRLS
    roles pass (FORCE ROW LEVEL SECURITY applies the policies to the tables' owner too), so the
    app's engine, or a non-superuser owner, fails loudly rather than seeing no rows.
    """
    conn.execute(_UNFILTERED)

"""Which family (and which person) the current database transaction acts for.

Row-level security policies read these settings (migration 0004): a family-scoped row is
visible only when its ``family_id`` equals ``app.family_id``; a person's own memberships are
visible through ``app.user_id``. They are set with ``set_config(..., is_local => true)``, i.e.
``SET LOCAL``: they end with the transaction, so they work through a transaction-mode pooler
and never leak to the next user of a pooled connection. Call ``scope`` first in every
transaction that touches family data.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Connection, Engine, text

_SET = text("SELECT set_config('app.family_id', :f, true), set_config('app.user_id', :u, true)")


def scope(conn: Connection, family_id: int | None = None, user_id: int | None = None) -> None:
    conn.execute(_SET, {"f": "" if family_id is None else str(int(family_id)),
                        "u": "" if user_id is None else str(int(user_id))})


@contextmanager
def scoped(engine: Engine, family_id: int | None = None, user_id: int | None = None) -> Iterator[Connection]:
    """A connection whose (implicit) transaction acts for ``family_id`` / ``user_id``."""
    with engine.connect() as conn:
        scope(conn, family_id, user_id)
        yield conn

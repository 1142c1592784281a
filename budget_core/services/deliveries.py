"""Entries typed on a device without a connection and delivered later by the app shell.

The shell (``budget_app/web/shell``) keeps each entry in the browser's IndexedDB with a
``client_id`` made on the device, and posts it to the JSON API when the connection returns. The
API writes it with :func:`transactions.add_transaction` (so a replay stores nothing twice) and
counts first deliveries on the device's session (:func:`note_sent`); the writer's Today takes the
count (:func:`take_sent`) and says "3 entries sent".
"""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, text

from .access import FamilyAccess


def already_stored(access: FamilyAccess, client_id: uuid.UUID) -> bool:
    """Whether the family already holds the entry made on a device as ``client_id`` (a replay)."""
    with access.read() as conn:
        return bool(
            conn.execute(
                text("SELECT EXISTS (SELECT 1 FROM transactions WHERE family_id = :f AND client_id = :c)"),
                {"f": access.family_id, "c": client_id},
            ).scalar()
        )


def note_sent(engine: Engine, session_id: int, count: int = 1) -> None:
    """Count ``count`` entries the device of ``session_id`` delivered, for its Today to announce."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE user_sessions SET offline_sent = offline_sent + :n WHERE id = :i"),
            {"n": count, "i": session_id},
        )


def take_sent(engine: Engine, session_id: int) -> int:
    """The entries delivered since Today last said so (0 when none); the count starts again at 0."""
    with engine.begin() as conn:
        sent = conn.execute(
            text(
                "WITH old AS (SELECT offline_sent FROM user_sessions WHERE id = :i AND offline_sent > 0 FOR UPDATE) "
                "UPDATE user_sessions SET offline_sent = 0 FROM old WHERE id = :i RETURNING old.offline_sent"
            ),
            {"i": session_id},
        ).scalar()
    return int(sent or 0)

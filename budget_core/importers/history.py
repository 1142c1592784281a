"""Past imports, and undoing one whole.

Every import that wrote something is listed (file, when, by whom, rows added and linked). *Undo this
import* removes exactly what that import added — its transactions and its bank rows, so the same
file imports again afterwards — undoes the links it made to expenses typed by hand (those stay, as
typed) and gives the bills it taught their words back; one ``family_write`` transaction and one
``import.undone`` event. Transactions someone changed since the import are removed all the same
(the event counts them), since they exist only because of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from ..errors import NotFound, ValidationError
from ..services._uow import family_write
from ..services.access import FamilyAccess


@dataclass(frozen=True, slots=True)
class PastImport:
    id: int
    file_name: str
    format: str
    imported_at: datetime
    imported_by: str
    added: int
    linked: int
    undone_at: datetime | None
    undone_by: str | None

    @property
    def undone(self) -> bool:
        return self.undone_at is not None

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "file": self.file_name,
            "format": self.format,
            "imported_at": self.imported_at.isoformat(),
            "imported_by": self.imported_by,
            "added": self.added,
            "linked": self.linked,
            "undone_at": self.undone_at.isoformat() if self.undone_at else None,
            "undone_by": self.undone_by,
        }


@dataclass(frozen=True, slots=True)
class UndoResult:
    import_id: int
    file_name: str
    removed: int
    unlinked: int
    edited_since: int


def list_imports(access: FamilyAccess, limit: int = 50) -> list[PastImport]:
    """The family's imports, newest first."""
    with access.read() as conn:
        rows = conn.execute(
            text(
                "SELECT i.id, i.file_name, i.format, i.imported_at, coalesce(m.display_name, 'Someone'), i.added, "
                "i.linked, i.undone_at, u.display_name FROM imports i "
                "LEFT JOIN members m ON m.family_id = i.family_id AND m.user_id = i.imported_by "
                "LEFT JOIN members u ON u.family_id = i.family_id AND u.user_id = i.undone_by "
                "WHERE i.family_id = :f ORDER BY i.imported_at DESC, i.id DESC LIMIT :n"
            ),
            {"f": access.family_id, "n": max(1, min(limit, 500))},
        ).all()
    return [PastImport(*r) for r in rows]


def undo_import(access: FamilyAccess, import_id: int) -> UndoResult:
    """Remove what import ``import_id`` added and restore what it changed (see the module docstring)."""
    family_id = access.family_id
    with family_write(access, role="member", action="undo imports") as w:
        batch = w.conn.execute(
            text("SELECT file_name, restore, undone_at FROM imports WHERE family_id = :f AND id = :i FOR UPDATE"),
            {"f": family_id, "i": import_id},
        ).first()
        if batch is None:
            raise NotFound(f"This family has no import {import_id}.")
        if batch.undone_at is not None:
            raise ValidationError(f"The import of {batch.file_name} was already undone.")
        gone = w.conn.execute(
            text(
                "DELETE FROM transactions t USING imported_rows r WHERE r.family_id = :f AND r.batch_id = :i "
                "AND t.family_id = r.family_id AND t.import_id = r.import_id RETURNING t.row_version"
            ),
            {"f": family_id, "i": import_id},
        ).all()
        unlinked = w.conn.execute(
            text(
                "DELETE FROM imported_rows WHERE family_id = :f AND batch_id = :i AND outcome = 'linked' "
                "RETURNING import_id"
            ),
            {"f": family_id, "i": import_id},
        ).rowcount
        w.conn.execute(
            text("DELETE FROM imported_rows WHERE family_id = :f AND batch_id = :i"), {"f": family_id, "i": import_id}
        )
        restore = batch.restore if isinstance(batch.restore, dict) else json.loads(batch.restore or "{}")
        for bill_id, words in (restore.get("bill_words") or {}).items():
            w.conn.execute(
                text("UPDATE fixed_expenses SET match_words = :w WHERE family_id = :f AND id = :b"),
                {"w": list(words), "f": family_id, "b": int(bill_id)},
            )
        w.conn.execute(
            text("UPDATE imports SET undone_at = now(), undone_by = :u WHERE family_id = :f AND id = :i"),
            {"u": access.user_id, "f": family_id, "i": import_id},
        )
        result = UndoResult(import_id, batch.file_name, len(gone), unlinked, sum(1 for (v,) in gone if v > 1))
        w.emit(
            "import.undone",
            {
                "actor": w.actor_name,
                "file": batch.file_name,
                "import": import_id,
                "removed": result.removed,
                "unlinked": result.unlinked,
                "edited_since": result.edited_since,
            },
        )
    return result

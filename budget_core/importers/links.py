"""Bank rows linked to transactions typed by hand: listing them for review, confirming them, and
undoing a link (the row is then added as a transaction of its own).

Each change is one ``family_write`` transaction with one event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from ..errors import ValidationError
from ..services._uow import NothingToWrite, family_write
from ..services.access import FamilyAccess
from ..services.transactions import NewRow, write_rows
from . import StatementRow
from .planning import categorise_alone


@dataclass(frozen=True, slots=True)
class LinkedRow:
    """A bank row that was matched to a transaction typed by hand, waiting for someone to confirm it."""

    import_id: str
    occurred_on: date
    bank_amount: int
    description: str
    file_name: str
    transaction_id: int | None
    transaction_description: str | None
    transaction_amount: int | None
    transaction_on: date | None
    member: str | None


def links_to_review(access: FamilyAccess) -> list[LinkedRow]:
    """Linked bank rows nobody has confirmed yet, newest first."""
    with access.read() as conn:
        rows = conn.execute(
            text(
                "SELECT i.import_id, i.occurred_on, i.amount, i.description, i.file_name, t.id, t.description, "
                "t.amount, t.occurred_on, m.display_name FROM imported_rows i "
                "LEFT JOIN transactions t ON t.family_id = i.family_id AND t.id = i.transaction_id "
                "LEFT JOIN members m ON m.family_id = t.family_id AND m.user_id = t.user_id "
                "WHERE i.family_id = :f AND i.outcome = 'linked' AND i.reviewed_at IS NULL "
                "ORDER BY i.occurred_on DESC, i.import_id"
            ),
            {"f": access.family_id},
        ).all()
    return [LinkedRow(*r) for r in rows]


def confirm_links(access: FamilyAccess, import_ids: list[str]) -> int:
    """Mark linked rows as reviewed ("yes, the bank row is the expense we typed"); returns how many."""
    try:
        with family_write(access, role="member", action="review imported rows") as w:
            done = w.conn.execute(
                text(
                    "UPDATE imported_rows SET reviewed_at = now() WHERE family_id = :f AND outcome = 'linked' "
                    "AND reviewed_at IS NULL AND import_id = ANY(:ids)"
                ),
                {"f": access.family_id, "ids": list(import_ids)},
            ).rowcount
            if not done:
                raise NothingToWrite(0)
            w.emit("import.links_confirmed", {"actor": w.actor_name, "count": done})
    except NothingToWrite as nothing:
        return nothing.result
    return done


def unlink(access: FamilyAccess, import_id: str) -> int:
    """The bank row was not the typed expense after all: add it as a transaction of its own.

    Returns the new transaction's id. Its category comes from the rules, else the default.
    """
    family_id, actor_id = access.family_id, access.user_id
    with family_write(access, role="member", action="review imported rows") as w:
        row = w.conn.execute(
            text(
                "SELECT import_id, occurred_on, amount, description, account, content_key, file_name "
                "FROM imported_rows WHERE family_id = :f AND import_id = :i AND outcome = 'linked' FOR UPDATE"
            ),
            {"f": family_id, "i": import_id},
        ).first()
        if row is None:
            raise ValidationError("That bank row is not linked to a transaction (any more).")
        bank = StatementRow(
            0, row.occurred_on, row.amount, row.description, row.import_id, row.content_key, row.account
        )
        category_id, label, kind, user_id = categorise_alone(w.conn, family_id, actor_id, bank)
        amount = bank.amount if kind == "income" else -bank.amount
        (tx_id,) = write_rows(
            w.conn,
            family_id,
            [NewRow(user_id, category_id, kind, amount, bank.description, bank.occurred_on, import_id)],
        ).values()
        w.conn.execute(
            text(
                "UPDATE imported_rows SET outcome = 'added', transaction_id = NULL, reviewed_at = now() "
                "WHERE family_id = :f AND import_id = :i"
            ),
            {"f": family_id, "i": import_id},
        )
        w.emit(
            "transaction.added",
            {
                "actor": w.actor_name,
                "id": tx_id,
                "amount": amount,
                "currency": w.family["currency"],
                "description": bank.description,
                "category": label,
                "kind": kind,
                "occurred_on": bank.occurred_on.isoformat(),
            },
        )
    return tx_id

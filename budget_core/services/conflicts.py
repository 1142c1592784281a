"""When two members change one transaction: what each changed, and how to keep what they meant.

A change is made against the row the person saw (``base``); if someone else changed it first the
service refuses with ``Conflict`` and nothing is overwritten. :class:`EditConflict` holds the three
versions — what the person saw, what they wanted (``mine``: new content, or None for a delete) and
what is stored now (``theirs``: None when it was deleted) — and who made the other change.

The rules, field by field (amount with its refund sign, description, category, date):

* :func:`keep_both` — the two changes touched different fields: the stored row with the person's
  fields applied on top, one edit and one event. Nobody's change is lost.
* :func:`keep_mine` — the person's changed fields win, also where both changed the same field;
  fields only the other member changed keep their change (nothing is undone silently). A delete
  deletes; an edit of a row someone deleted comes back as a new entry.
* Taking theirs writes nothing.

Each goes through the usual optimistic check against the version now shown, so a third change
meanwhile is a new Conflict.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Conflict, ValidationError
from .access import FamilyAccess
from .transactions import (
    Transaction,
    TransactionChanges,
    TransactionDraft,
    add_transaction,
    delete_transaction,
    edit_transaction,
)

FIELDS = ("amount", "description", "category", "occurred_on")
FIELD_WORDS = {"amount": "amount", "description": "description", "category": "category", "occurred_on": "date"}


def _values(item: Transaction | TransactionChanges) -> dict[str, object]:
    """The comparable content of a stored row or of typed changes: the amount with its refund sign."""
    if isinstance(item, Transaction):
        return {
            "amount": (abs(item.amount), item.is_refund),
            "description": item.description,
            "category": item.category_id,
            "occurred_on": item.occurred_on,
        }
    return {
        "amount": (item.amount, bool(item.refund)),
        "description": " ".join((item.description or "").split()),
        "category": item.category,
        "occurred_on": item.occurred_on,
    }


def _changes_of(tx: Transaction) -> TransactionChanges:
    return TransactionChanges(abs(tx.amount), tx.description, tx.category_id, tx.occurred_on, tx.is_refund)


@dataclass(frozen=True, slots=True)
class EditConflict:
    """A change that met someone else's first (see the module docstring)."""

    tx_id: int
    mine: TransactionChanges | None
    theirs: Transaction | None
    message: str
    by: str = "Someone"
    base: Transaction | None = None

    @classmethod
    def from_error(
        cls, tx_id: int, mine: TransactionChanges | None, err: Conflict, base: Transaction | None = None
    ) -> EditConflict:
        theirs = err.current if isinstance(err.current, Transaction) else None
        return cls(tx_id, mine, theirs, err.message, err.by or "Someone", base)

    def _changed(self, side: Transaction | TransactionChanges | None) -> frozenset[str]:
        if side is None or self.base is None:
            return frozenset(FIELDS) if side is not None else frozenset()
        was, now = _values(self.base), _values(side)
        return frozenset(f for f in FIELDS if was[f] != now[f])

    @property
    def my_fields(self) -> frozenset[str]:
        """The fields the person changed (all of them when it is not known what they saw)."""
        return self._changed(self.mine)

    @property
    def their_fields(self) -> frozenset[str]:
        """The fields the other member changed."""
        return self._changed(self.theirs)

    @property
    def differing(self) -> frozenset[str]:
        """The fields whose values differ between the two versions (the ones to highlight)."""
        if self.mine is None or self.theirs is None:
            return frozenset()
        mine, theirs = _values(self.mine), _values(self.theirs)
        return frozenset(f for f in FIELDS if mine[f] != theirs[f])

    @property
    def can_keep_both(self) -> bool:
        """Both edited, and different fields: a field-level merge keeps both changes."""
        return (
            self.mine is not None
            and self.theirs is not None
            and self.base is not None
            and bool(self.my_fields)
            and not (self.my_fields & self.their_fields)
        )

    def merged(self) -> TransactionChanges:
        """The stored row with the person's changed fields applied on top."""
        if self.mine is None or self.theirs is None:
            raise ValidationError("There is nothing to merge: one of the two changes is a deletion.")
        result = _changes_of(self.theirs)
        mine = self.my_fields
        return TransactionChanges(
            self.mine.amount if "amount" in mine else result.amount,
            self.mine.description if "description" in mine else result.description,
            self.mine.category if "category" in mine else result.category,
            self.mine.occurred_on if "occurred_on" in mine else result.occurred_on,
            self.mine.refund if "amount" in mine else result.refund,
        )

    def words(self, fields: frozenset[str]) -> str:
        """'amount and date': fields named the way the screen names them."""
        names = [FIELD_WORDS[f] for f in FIELDS if f in fields]
        if len(names) <= 1:
            return names[0] if names else "nothing"
        return ", ".join(names[:-1]) + " and " + names[-1]


def keep_both(access: FamilyAccess, conflict: EditConflict) -> Transaction:
    """Keep both members' changes (they touched different fields): one edit, one event."""
    if not conflict.can_keep_both:
        raise ValidationError(
            f"You and {conflict.by} changed the same {conflict.words(conflict.my_fields & conflict.their_fields)}; "
            "choose whose to keep."
        )
    assert conflict.theirs is not None
    return edit_transaction(
        access, conflict.tx_id, conflict.theirs.row_version, conflict.merged(), merged_with=conflict.by
    )


def keep_mine(access: FamilyAccess, conflict: EditConflict) -> Transaction | None:
    """Apply the person's change over the stored one they have now seen (see the module docstring)."""
    mine, theirs = conflict.mine, conflict.theirs
    if mine is None:
        if theirs is not None:
            delete_transaction(access, conflict.tx_id, theirs.row_version)
        return None
    if theirs is not None:
        changes = conflict.merged() if conflict.base is not None else mine
        return edit_transaction(access, conflict.tx_id, theirs.row_version, changes)
    return add_transaction(
        access, TransactionDraft(mine.amount, mine.description, mine.category, mine.occurred_on, refund=mine.refund)
    )

"""Rows that need a category: imported money nothing could place, and deciding them in one tap.

An imported row that no rule, history or built-in entry could place lands in "Uncategorized" (an
everyday category: it counts as everyday spending until someone decides) or "Other income". This
module lists the current period's undecided rows with a few likely choices each, totals what they
add to this period's everyday spending (Today's headline says so), and moves rows into a category —
only rows that are still undecided, so a concurrent decision is never overwritten — as one change
with one event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from ..domain.merchants import builtin_suggestion
from ..domain.period import period_bounds
from ..errors import ValidationError
from ._uow import NothingToWrite, family_write
from .access import FamilyAccess
from .categories import find_category

UNDECIDED = ("uncategorized",)


@dataclass(frozen=True, slots=True)
class UndecidedRow:
    id: int
    occurred_on: date
    description: str
    amount: int  # as stored: an expense positive
    member: str
    choices: tuple[tuple[int, str], ...]  # (category id, label), likeliest first


@dataclass(frozen=True, slots=True)
class Undecided:
    """The undecided rows of the period containing ``on`` and their total (everyday spending, minor units)."""

    rows: tuple[UndecidedRow, ...]
    total: int

    @property
    def count(self) -> int:
        return len(self.rows)


def undecided(access: FamilyAccess, on: date | None = None, *, choices: int = 3) -> Undecided:
    """This period's rows in "Uncategorized", newest first, each with up to ``choices`` likely categories:
    the built-in list's guess, then the family's most used everyday categories."""
    on = on or access.today()
    start, end = period_bounds(access.family.period_start_day, on)
    with access.read() as conn:
        rows = conn.execute(
            text(
                "SELECT t.id, t.occurred_on, t.description, t.amount, m.display_name FROM transactions t "
                "JOIN categories c ON c.family_id = t.family_id AND c.id = t.category_id "
                "JOIN members m ON m.family_id = t.family_id AND m.user_id = t.user_id "
                "WHERE t.family_id = :f AND lower(c.name) = ANY(:names) AND c.parent_id IS NULL "
                "AND t.occurred_on BETWEEN :s AND :e ORDER BY t.occurred_on DESC, t.id DESC"
            ),
            {"f": access.family_id, "names": list(UNDECIDED), "s": start, "e": end},
        ).all()
        popular = conn.execute(
            text(
                "SELECT c.id, CASE WHEN p.name IS NULL THEN c.name ELSE p.name || ' › ' || c.name END, c.name "
                "FROM categories c LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id "
                "LEFT JOIN transactions t ON t.family_id = c.family_id AND t.category_id = c.id "
                "AND t.occurred_on >= :since WHERE c.family_id = :f AND c.kind = 'variable' "
                "AND c.archived_at IS NULL AND NOT lower(c.name) = ANY(:names) "
                "GROUP BY c.id, p.name, c.name ORDER BY count(t.id) DESC, c.id"
            ),
            {
                "f": access.family_id,
                "since": start.replace(day=1).replace(year=start.year - 1),
                "names": list(UNDECIDED),
            },
        ).all()
    by_name = {name.casefold(): (cid, label) for cid, label, name in popular}
    out = []
    for tx_id, day, description, amount, member in rows:
        picks: list[tuple[int, str]] = []
        group = builtin_suggestion(description)
        for name in group.categories if group else ():
            if name.casefold() in by_name:
                picks.append(by_name[name.casefold()])
                break
        for cid, label, _ in popular:
            if len(picks) >= choices:
                break
            if all(cid != p[0] for p in picks):
                picks.append((cid, label))
        out.append(UndecidedRow(tx_id, day, description, amount, member, tuple(picks)))
    return Undecided(tuple(out), sum(r.amount for r in out))


def decide(access: FamilyAccess, tx_ids: list[int], category: int | str) -> int:
    """Put the given undecided rows into ``category`` (one change, one event); returns how many moved.
    Rows someone already decided (or deleted) meanwhile are left as they are."""
    ids = [i for i in tx_ids if isinstance(i, int) and not isinstance(i, bool)]
    if not ids:
        raise ValidationError("Choose the rows to put into a category.")
    try:
        with family_write(access, role="member", action="categorise transactions") as w:
            target = find_category(w.conn, access.family_id, category)
            if target.archived:
                raise ValidationError(f"The category '{target.label}' is archived; choose another one.")
            if target.kind == "income":
                raise ValidationError("Undecided spending goes into an expense category, not an income one.")
            moved = w.conn.execute(
                text(
                    "UPDATE transactions t SET category_id = :c, "
                    "kind = CASE WHEN t.bill_id IS NOT NULL THEN 'fixed' ELSE :k END, "
                    "row_version = t.row_version + 1, updated_at = now() FROM categories c "
                    "WHERE t.family_id = :f AND t.id = ANY(:ids) AND c.family_id = t.family_id "
                    "AND c.id = t.category_id AND lower(c.name) = ANY(:names) AND c.parent_id IS NULL"
                ),
                {"c": target.id, "k": target.kind, "f": access.family_id, "ids": ids, "names": list(UNDECIDED)},
            ).rowcount
            if not moved:
                raise NothingToWrite(0)
            w.emit("transactions.categorised", {"actor": w.actor_name, "count": moved, "category": target.label})
    except NothingToWrite as nothing:
        return nothing.result
    return moved

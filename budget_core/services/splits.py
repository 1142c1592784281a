"""Split purchases: one transaction with parts in several categories ("Costco $84.20: Groceries
$60.00, Household $24.20").

Each part is a category and a positive amount in minor units; the parts must add up exactly to the
total (refused otherwise, nothing written) and each counts toward its own kind in the daily budget.
The transaction stays one row for edits, deletes, conflicts and events; its parts live in
``transaction_parts`` (written with it by ``ledger_insert``, checked again by the database at
commit). A refund can be split too: its parts are stored negative like it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from ..domain.money import format_money
from ..errors import ValidationError
from .categories import Category, find_category

MAX_PARTS = 20


@dataclass(frozen=True, slots=True)
class SplitPart:
    """A part as a person states it: a category (id or name) and a positive amount in minor units."""

    category: int | str
    amount: int


@dataclass(frozen=True, slots=True)
class StoredPart:
    category_id: int
    category: str
    kind: str
    amount: int  # signed like the transaction


def check_parts(conn: Connection, family_id: int, parts, total: int, currency: str) -> list[tuple[Category, int]]:
    """The parts with their categories, or ValidationError: at least two, each more than zero in a
    live expense category, adding up exactly to ``total`` (positive minor units)."""
    parts = list(parts)
    if len(parts) < 2:
        raise ValidationError("A split has at least two parts; for one category, enter it without splitting.")
    if len(parts) > MAX_PARTS:
        raise ValidationError(f"A split has at most {MAX_PARTS} parts.")
    out = []
    for part in parts:
        if isinstance(part.amount, bool) or not isinstance(part.amount, int) or part.amount <= 0:
            raise ValidationError("Each part of a split is an amount above zero.")
        cat = find_category(conn, family_id, part.category)
        if cat.archived:
            raise ValidationError(f"The category '{cat.label}' is archived; choose another one.")
        if cat.kind == "income":
            raise ValidationError(f"A split divides spending; '{cat.label}' is an income category.")
        out.append((cat, part.amount))
    added = sum(a for _, a in out)
    if added != total:
        raise ValidationError(
            f"The parts add up to {format_money(added, currency)}, not the total of {format_money(total, currency)}; "
            "make them equal (nothing was saved)."
        )
    return out


def parts_tuple(checked: list[tuple[Category, int]], sign: int) -> tuple[tuple[int, str, int], ...]:
    """What ``NewRow.parts`` takes: (category id, kind, signed amount)."""
    return tuple((cat.id, cat.kind, sign * amount) for cat, amount in checked)


def replace_parts(conn: Connection, family_id: int, tx_id: int, parts: tuple[tuple[int, str, int], ...]) -> None:
    """Give an existing transaction these parts (none: no longer split) inside the caller's write;
    the transaction's ``parts`` count and amount are set by the caller in the same transaction."""
    conn.execute(
        text("DELETE FROM transaction_parts WHERE family_id = :f AND transaction_id = :t"), {"f": family_id, "t": tx_id}
    )
    if parts:
        conn.execute(
            text(
                "INSERT INTO transaction_parts (family_id, transaction_id, part, category_id, kind, amount, occurred_on) "
                "SELECT :f, :t, x.n, x.c, x.k, x.a, t.occurred_on FROM transactions t, "
                "unnest(CAST(:cats AS bigint[]), CAST(:kinds AS text[]), CAST(:amounts AS bigint[])) "
                "WITH ORDINALITY AS x(c, k, a, n) WHERE t.family_id = :f AND t.id = :t"
            ),
            {
                "f": family_id,
                "t": tx_id,
                "cats": [c for c, _, _ in parts],
                "kinds": [k for _, k, _ in parts],
                "amounts": [a for *_, a in parts],
            },
        )


def load_parts(conn: Connection, family_id: int, tx_ids: list[int]) -> dict[int, tuple[StoredPart, ...]]:
    """The parts of the given split transactions, in order."""
    if not tx_ids:
        return {}
    rows = conn.execute(
        text(
            "SELECT x.transaction_id, x.category_id, CASE WHEN p.name IS NULL THEN c.name ELSE p.name || ' › ' || "
            "c.name END, x.kind, x.amount FROM transaction_parts x JOIN categories c ON c.family_id = x.family_id "
            "AND c.id = x.category_id LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id "
            "WHERE x.family_id = :f AND x.transaction_id = ANY(:ids) ORDER BY x.transaction_id, x.part"
        ),
        {"f": family_id, "ids": tx_ids},
    ).all()
    out: dict[int, list[StoredPart]] = {}
    for tx_id, *rest in rows:
        out.setdefault(tx_id, []).append(StoredPart(*rest))
    return {k: tuple(v) for k, v in out.items()}

"""Bills: the family's planned fixed expenses as bills of each period — their words, due day and
category, their state this period, paying one by hand, and how close a payment must be.

A bill is a row of ``fixed_expenses`` (the planned fixed amounts the daily budget subtracts). Its
payments are transactions linked to it (``transactions.bill_id``), stored as fixed spending: a bank
row or a typed expense is linked when ``bill_matches`` (migration 0011) recognises it, or someone
marks the bill paid by hand here. A payment of another amount moves the allowance only through the
formula's fixed overrun.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from ..domain.bills import BillStatus, Payment, bill_state, due_date
from ..domain.merchants import builtin_suggestion
from ..domain.period import period_bounds
from ..domain.storable import check_storable
from ..errors import NotFound, ValidationError
from ._uow import NothingToWrite, family_write
from .access import FamilyAccess
from .categories import find_category
from .transactions import NewRow, Transaction, _check_amount, _load, write_rows

MAX_WORDS = 10


@dataclass(frozen=True, slots=True)
class Bill:
    id: int
    name: str
    amount: int
    due_day: int | None
    words: tuple[str, ...]
    category_id: int | None
    category: str | None

    def as_json(self, currency: str) -> dict:
        from ..domain.money import decimal_string

        return {
            "id": self.id,
            "name": self.name,
            "amount": decimal_string(self.amount, currency),
            "due_day": self.due_day,
            "words": list(self.words),
            "category": self.category,
        }


_SELECT = (
    "SELECT b.id, b.name, b.amount, b.due_day, b.match_words, b.category_id, "
    "CASE WHEN p.name IS NULL THEN c.name ELSE p.name || ' › ' || c.name END "
    "FROM fixed_expenses b LEFT JOIN categories c ON c.family_id = b.family_id AND c.id = b.category_id "
    "LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id WHERE b.family_id = :f"
)


def _bill(row) -> Bill:
    return Bill(row[0], row[1], row[2], row[3], tuple(row[4] or ()), row[5], row[6])


def load_bills(conn: Connection, family_id: int) -> list[Bill]:
    return [_bill(r) for r in conn.execute(text(_SELECT + " ORDER BY b.id"), {"f": family_id}).all()]


def list_bills(access: FamilyAccess) -> list[Bill]:
    with access.read() as conn:
        return load_bills(conn, access.family_id)


def check_due_day(due_day: int | None) -> int | None:
    if due_day is None:
        return None
    if isinstance(due_day, bool) or not isinstance(due_day, int) or not 1 <= due_day <= 31:
        raise ValidationError(f"The due day is a day of the month from 1 to 31, not {due_day!r}.")
    return due_day


def check_words(words) -> list[str]:
    """The words that identify a bill on a statement: each trimmed, non-empty, at most 80 characters."""
    clean = []
    for word in words or ():
        normal = " ".join(str(word).split())
        if not normal:
            continue
        if len(normal) > 80:
            raise ValidationError("Keep each of a bill's words under 80 characters.")
        clean.append(check_storable(normal, "bill words"))
    if len(clean) > MAX_WORDS:
        raise ValidationError(f"A bill is recognised by at most {MAX_WORDS} words or phrases.")
    return list(dict.fromkeys(clean))


def check_bill_category(conn: Connection, family_id: int, category: int | str | None) -> int | None:
    """A live fixed category (payments of a bill are fixed spending), or None for the automatic choice."""
    if category in (None, ""):
        return None
    found = find_category(conn, family_id, category)
    if found.archived:
        raise ValidationError(f"The category '{found.label}' is archived; choose another one.")
    if found.kind != "fixed":
        raise ValidationError(f"A bill's payments are fixed spending; '{found.label}' is not a fixed category.")
    return found.id


def bill_category_id(conn: Connection, family_id: int, bill: Bill, *, create: bool = True) -> int | None:
    """The fixed category a bill's payments are booked in: its own, else the built-in list's guess
    from its name ("Rent" → Housing, "Strom" → Utilities), else the first fixed category, else a new
    "Bills" category (when ``create``)."""
    rows = conn.execute(
        text(
            "SELECT id, name FROM categories WHERE family_id = :f AND kind = 'fixed' AND archived_at IS NULL "
            "ORDER BY parent_id NULLS FIRST, id"
        ),
        {"f": family_id},
    ).all()
    ids = {i for i, _ in rows}
    if bill.category_id in ids:
        return bill.category_id
    group = builtin_suggestion(bill.name)
    by_name = {n.casefold(): i for i, n in reversed(rows)}
    for name in group.categories if group else ():
        if name.casefold() in by_name:
            return by_name[name.casefold()]
    if rows:
        return rows[0][0]
    if not create:
        return None
    return conn.execute(
        text("INSERT INTO categories (family_id, name, kind) VALUES (:f, 'Bills', 'fixed') RETURNING id"),
        {"f": family_id},
    ).scalar_one()


def bill_statuses(access: FamilyAccess, on: date | None = None) -> list[BillStatus]:
    """Every bill in the budget period containing ``on`` (default: the family's today)."""
    on = on or access.today()
    start, end = period_bounds(access.family.period_start_day, on)
    with access.read() as conn:
        bills = load_bills(conn, access.family_id)
        paid = conn.execute(
            text(
                "SELECT t.bill_id, t.id, t.amount, t.occurred_on, t.description, m.display_name FROM transactions t "
                "JOIN members m ON m.family_id = t.family_id AND m.user_id = t.user_id "
                "WHERE t.family_id = :f AND t.bill_id IS NOT NULL AND t.occurred_on BETWEEN :s AND :e "
                "ORDER BY t.occurred_on, t.id"
            ),
            {"f": access.family_id, "s": start, "e": end},
        ).all()
    payments: dict[int, list[Payment]] = {}
    for bill_id, *rest in paid:
        payments.setdefault(bill_id, []).append(Payment(*rest))
    out = []
    for b in bills:
        due_on = due_date(access.family.period_start_day, b.due_day, on)
        mine = tuple(payments.get(b.id, ()))
        out.append(BillStatus(b.id, b.name, b.amount, due_on, bill_state(due_on, mine, on), mine))
    return out


def update_bill(
    access: FamilyAccess,
    bill_id: int,
    *,
    due_day: Any = ...,
    words: list[str] | None = None,
    category: Any = ...,
) -> Bill:
    """Change a bill's due day, words or category (managers). ``...`` leaves a field as it is;
    ``None`` clears the due day or returns the category to the automatic choice."""
    family_id = access.family_id
    try:
        with family_write(access, role="manager", action="change bills") as w:
            before = _get(w.conn, family_id, bill_id)
            sets: list[str] = []
            said: list[str] = []
            params: dict[str, Any] = {"f": family_id, "b": bill_id}
            if due_day is not ...:
                params["d"] = check_due_day(due_day)
                if params["d"] != before.due_day:
                    sets.append("due_day = :d")
                    said.append(f"due on day {params['d']}" if params["d"] else "no due day")
            if words is not None:
                params["w"] = check_words(words)
                if tuple(params["w"]) != before.words:
                    sets.append("match_words = :w")
                    said.append("recognised by " + (", ".join(f"'{x}'" for x in params["w"]) or "its name"))
            if category is not ...:
                params["c"] = check_bill_category(w.conn, family_id, category)
                if params["c"] != before.category_id:
                    sets.append("category_id = :c")
                    said.append(
                        "booked in "
                        + (
                            find_category(w.conn, family_id, params["c"]).label
                            if params["c"]
                            else "the automatic category"
                        )
                    )
            if not sets:
                raise NothingToWrite(before)
            w.conn.execute(
                text(f"UPDATE fixed_expenses SET {', '.join(sets)} WHERE family_id = :f AND id = :b"), params
            )
            w.emit("bill.changed", {"actor": w.actor_name, "name": before.name, "text": "; ".join(said)})
            return _get(w.conn, family_id, bill_id)
    except NothingToWrite as nothing:
        return nothing.result


def _get(conn: Connection, family_id: int, bill_id: int) -> Bill:
    row = conn.execute(text(_SELECT + " AND b.id = :b"), {"f": family_id, "b": bill_id}).first()
    if row is None:
        raise NotFound(f"This family has no bill {bill_id}; it may have been removed.")
    return _bill(row)


def mark_paid(
    access: FamilyAccess, bill_id: int, *, amount: int | None = None, on: date | None = None, now=None
) -> Transaction:
    """Record that a bill was paid (by default its expected amount, today): a fixed transaction
    linked to the bill, through the one writer. A bank row of the same payment imported later is
    linked to it instead of being added twice."""
    family_id = access.family_id
    today = access.today(now)
    on = on or today
    with family_write(access, role="member", action="mark bills paid") as w:
        bill = _get(w.conn, family_id, bill_id)
        paid = _check_amount(bill.amount if amount is None else amount)
        category_id = bill_category_id(w.conn, family_id, bill)
        assert category_id is not None  # created when missing
        (tx_id,) = write_rows(
            w.conn,
            family_id,
            [NewRow(access.user_id, category_id, "fixed", paid, bill.name, on, None, uuid.uuid4(), bill.id)],
        ).values()
        tx = _load(w.conn, family_id, tx_id)
        assert tx is not None  # written just now, in this transaction
        w.emit(
            "transaction.added",
            {
                "actor": w.actor_name,
                "id": tx_id,
                "amount": paid,
                "currency": w.family["currency"],
                "description": bill.name,
                "category": tx.category,
                "kind": "fixed",
                "occurred_on": on.isoformat(),
                "bill": bill.name,
            },
        )
    return tx


def set_bill_tolerance(access: FamilyAccess, percent: int) -> int:
    """How far (in percent of the bill) a payment recognised by its words may differ (managers)."""
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise ValidationError("The bill tolerance is a percentage from 0 to 100.")
    try:
        with family_write(access, role="manager", action="change the plan") as w:
            before = w.conn.execute(
                text("SELECT bill_tolerance_pct FROM families WHERE id = :f"), {"f": access.family_id}
            ).scalar_one()
            if before == percent:
                raise NothingToWrite(percent)
            w.conn.execute(
                text("UPDATE families SET bill_tolerance_pct = :p WHERE id = :f"), {"p": percent, "f": access.family_id}
            )
            w.emit(
                "plan.updated",
                {
                    "actor": w.actor_name,
                    "changes": {"bill_tolerance_pct": [before, percent]},
                    "currency": w.family["currency"],
                },
            )
    except NothingToWrite:
        pass
    return percent


def bill_tolerance(access: FamilyAccess) -> int:
    with access.read() as conn:
        return conn.execute(
            text("SELECT bill_tolerance_pct FROM families WHERE id = :f"), {"f": access.family_id}
        ).scalar_one()

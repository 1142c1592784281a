"""Transactions: add (idempotent by client_id), edit and delete (optimistic, by row_version), list.

Amounts are minor units. An expense is positive; a refund is an expense entered explicitly as a
refund and stored negative; income is positive and goes in with an income category.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Connection, text

from ..db.door import SavedMeanwhile, door_errors
from ..db.engine import driver_connection
from ..domain.money import MAX_MINOR, decimal_string, decimals, parse_amount
from ..domain.period import local_today
from ..domain.storable import check_storable, lookup_text
from ..errors import Conflict, NotFound, ValidationError
from ..ops import notifications
from ..ops.reliability import measure
from . import _uow, targets
from ._uow import NothingToWrite, family_write, notify_after_commit
from .access import FamilyAccess
from .categories import find_category
from .splits import SplitPart, StoredPart, check_parts, load_parts, parts_tuple, replace_parts

MAX_DESCRIPTION = 499
MAX_DAYS_AHEAD = 366


@dataclass(frozen=True, slots=True)
class TransactionDraft:
    """What a person typed. ``amount`` is positive minor units; ``refund`` stores it negative."""

    amount: int
    description: str
    category: int | str
    occurred_on: date | None = None
    client_id: uuid.UUID | None = None
    refund: bool = False
    parts: tuple[SplitPart, ...] = ()  # a split purchase: parts adding up exactly to ``amount``

    def as_json(self, currency: str) -> dict:
        """The draft as the outbox keeps it (``outbox_draft``), its amount the exact decimal string of ``currency``."""
        return outbox_draft(
            decimal_string(self.amount, currency), self.description, self.category, self.occurred_on, self.refund
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any], currency: str, client_id: uuid.UUID | None = None) -> TransactionDraft:
        """Read back what ``as_json`` (or the CLI, with the amount as typed) kept; ValidationError if it
        no longer reads. The amount text is parsed with the family's currency at delivery."""
        amount = data.get("amount", data.get("amount_text"))  # "amount_text": outboxes written before 0.2
        if not isinstance(amount, int) or isinstance(amount, bool):
            amount = parse_amount(str(amount or ""), currency)
        try:
            occurred_on = date.fromisoformat(data["occurred_on"]) if data.get("occurred_on") else None
        except (TypeError, ValueError):
            raise ValidationError(f"'{data.get('occurred_on')}' is not a date such as 2026-11-25.") from None
        return cls(
            amount,
            str(data.get("description") or ""),
            data.get("category") or "",
            occurred_on,
            client_id,
            bool(data.get("refund")),
        )


def outbox_draft(
    amount_text: str, description: str, category: int | str, occurred_on: date | None, refund: bool
) -> dict:
    """An entry as the outbox keeps it — one shape for the web app and the CLI: the amount as text,
    parsed with the family's currency when it is delivered (the CLI may not know the currency while
    the database is away); ``client_id`` is kept beside it. ``TransactionDraft.from_json`` reads it back."""
    return {
        "amount": amount_text,
        "description": description,
        "category": category,
        "refund": refund,
        "occurred_on": occurred_on.isoformat() if occurred_on else None,
    }


@dataclass(frozen=True, slots=True)
class Transaction:
    id: int
    family_id: int
    user_id: int
    member: str
    category_id: int
    category: str
    kind: str
    amount: int
    currency: str
    description: str
    occurred_on: date
    created_at: datetime
    updated_at: datetime
    client_id: uuid.UUID
    row_version: int
    bill_id: int | None = None
    bill: str | None = None  # the name of the bill this payment is linked to
    part_count: int = 0
    parts: tuple[StoredPart, ...] = ()  # a split's parts (each counts toward its own kind)

    @property
    def is_refund(self) -> bool:
        return self.amount < 0 and self.kind != "income"

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "family_id": self.family_id,
            "member": self.member,
            "user_id": self.user_id,
            "category": self.category,
            "category_id": self.category_id,
            "kind": self.kind,
            "amount": decimal_string(self.amount, self.currency),
            "amount_minor": self.amount,
            "currency": self.currency,
            "description": self.description,
            "occurred_on": self.occurred_on.isoformat(),
            "created_at": self.created_at.isoformat(),
            "client_id": str(self.client_id),
            "row_version": self.row_version,
            "refund": self.is_refund,
            "bill_id": self.bill_id,
            "bill": self.bill,
            "parts": [
                {
                    "category": x.category,
                    "kind": x.kind,
                    "amount": decimal_string(x.amount, self.currency),
                    "amount_minor": x.amount,
                }
                for x in self.parts
            ],
        }


_SELECT = (
    "SELECT t.id, t.family_id, t.user_id, m.display_name AS member, t.category_id, "
    "CASE WHEN p.name IS NULL THEN c.name ELSE p.name || ' › ' || c.name END AS category, t.kind, t.amount, "
    "f.currency, t.description, t.occurred_on, t.created_at, t.updated_at, t.client_id, t.row_version, "
    "t.bill_id, b.name AS bill, t.parts AS part_count "
    "FROM transactions t JOIN families f ON f.id = t.family_id "
    "JOIN members m ON m.family_id = t.family_id AND m.user_id = t.user_id "
    "JOIN categories c ON c.family_id = t.family_id AND c.id = t.category_id "
    "LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id "
    "LEFT JOIN fixed_expenses b ON b.family_id = t.family_id AND b.id = t.bill_id "
)


def _load(conn: Connection, family_id: int, tx_id: int) -> Transaction | None:
    row = conn.execute(text(_SELECT + "WHERE t.family_id = :f AND t.id = :i"), {"f": family_id, "i": tx_id}).first()
    return _with_parts(conn, family_id, [Transaction(*row)])[0] if row else None


def _written(conn: Connection, family_id: int, tx_id: int) -> Transaction:
    """A transaction written in this very transaction (so it is there)."""
    tx = _load(conn, family_id, tx_id)
    if tx is None:
        raise RuntimeError(f"transaction {tx_id} vanished inside its own write")
    return tx


def _with_parts(conn: Connection, family_id: int, txs: list[Transaction]) -> list[Transaction]:
    """The transactions with their split parts attached (one query, only when some are split)."""
    split = [t.id for t in txs if t.part_count]
    if not split:
        return txs
    parts = load_parts(conn, family_id, split)
    return [replace(t, parts=parts.get(t.id, ())) if t.part_count else t for t in txs]


def _check_description(description: str) -> str:
    normal = " ".join((description or "").split())
    if not normal:
        raise ValidationError("Describe the expense in a few words, for example 'Lunch'.")
    if len(normal) > MAX_DESCRIPTION:
        raise ValidationError(f"Keep the description under {MAX_DESCRIPTION + 1} characters.")
    return check_storable(normal, "description")


def _check_amount(amount: int) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ValidationError("The amount must be a whole number of minor units (cents).")
    if amount <= 0:
        raise ValidationError("The amount must be more than zero; to record money coming back, mark it as a refund.")
    if amount > MAX_MINOR:
        raise ValidationError("The amount is larger than any household amount we accept; check the number.")
    return amount


def _check_date(occurred_on: date, today: date) -> date:
    if not isinstance(occurred_on, date):
        raise ValidationError("The date must be a calendar date such as 2026-11-25.")
    if occurred_on > today + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError("That date is more than a year ahead; check it.")
    if occurred_on.year < 1970:
        raise ValidationError("That date is too far in the past; check it.")
    return occurred_on


def _signed_amount(draft: TransactionDraft, kind: str) -> int:
    amount = _check_amount(draft.amount)
    if draft.refund:
        if kind == "income":
            raise ValidationError("A refund goes against an expense category, not an income one.")
        return -amount
    return amount


def _event_payload(w, tx: dict, category: str, kind: str) -> dict:
    return {
        "actor": w.actor_name,
        "id": tx["id"],
        "amount": tx["amount"],
        "currency": w.family["currency"],
        "description": tx["description"],
        "category": category,
        "kind": kind,
        "occurred_on": tx["occurred_on"].isoformat(),
    }


@dataclass(frozen=True, slots=True)
class NewRow:
    """A transaction as stored by a bulk writer (an import, an unlinked bank row): ``amount`` is
    signed minor units (expense > 0, refund < 0, income > 0) and ``kind`` is its category's; a row
    with a ``bill_id`` pays that bill and is stored as fixed spending whatever its category."""

    user_id: int
    category_id: int
    kind: str
    amount: int
    description: str
    occurred_on: date
    import_id: str | None = None
    client_id: uuid.UUID = field(default_factory=uuid.uuid4)
    bill_id: int | None = None
    parts: tuple[tuple[int, str, int], ...] = ()  # a split: (category id, kind, signed amount) adding up to amount


_INSERT = (
    "SELECT id, client_id FROM ledger_insert(%s, %s::bigint[], %s::bigint[], %s::text[], %s::bigint[], "
    "%s::text[], %s::date[], %s::uuid[], %s::text[], %s::bigint[], %s::jsonb[])"
)


def write_rows(
    conn: Connection, family_id: int, rows: Sequence[NewRow], *, block: int = 20_000
) -> dict[uuid.UUID, int]:
    """Insert ``rows`` inside the caller's family write (scoped to ``family_id``) through
    ``ledger_insert``, the one ``INSERT INTO transactions`` (migration 0007), in blocks of arrays
    (COPY FROM is refused on tables under row-level security). Returns client_id → new id.
    A row with a ``bill_id`` is stored as fixed spending (``ledger_insert``, migration 0011); a row
    with ``parts`` is a split, its parts stored with it (migration 0012).
    Descriptions are cut to the longest a transaction keeps."""
    ids: dict[uuid.UUID, int] = {}
    with driver_connection(conn).cursor() as cur:
        for start in range(0, len(rows), block):
            part = rows[start : start + block]
            cur.execute(
                _INSERT,
                (
                    family_id,
                    [r.user_id for r in part],
                    [r.category_id for r in part],
                    [r.kind for r in part],
                    [r.amount for r in part],
                    [r.description[:MAX_DESCRIPTION] for r in part],
                    [r.occurred_on for r in part],
                    [r.client_id for r in part],
                    [r.import_id for r in part],
                    [r.bill_id for r in part],
                    [_parts_json(r.parts) for r in part],
                ),
            )
            ids.update((client_id, tx_id) for tx_id, client_id in cur.fetchall())
    return ids


def _parts_json(parts: tuple[tuple[int, str, int], ...]) -> Jsonb | None:
    if not parts:
        return None
    return Jsonb([{"category_id": c, "kind": k, "amount": a} for c, k, a in parts])


_ADD = text("SELECT * FROM ledger_add(:f, :u, :c, :a, :r, :d, :o, :ci, :given, :inside)")


@measure("transactions.add")
def add_transaction(access: FamilyAccess, draft: TransactionDraft, *, now: datetime | None = None) -> Transaction:
    """Record an expense, refund or income for the handle's member.

    Idempotent: a draft whose ``client_id`` is already stored returns the stored transaction and
    writes nothing; the same ``client_id`` with different content is refused. One statement
    (``ledger_add``, migration 0007) enters the family, checks, writes and records the event;
    the NOTIFY follows the commit. With push notifications configured, the notices an expense
    calls for are queued in the same transaction.
    """
    description = _check_description(draft.description)
    amount = _check_amount(draft.amount)
    today = access.today(now)
    occurred_on = _check_date(draft.occurred_on or today, today)
    if draft.parts:
        return _add_split(access, draft, description, amount, occurred_on)
    category_id = draft.category
    if not isinstance(category_id, int) or isinstance(category_id, bool):
        with access.read() as conn:
            category_id = find_category(conn, access.family_id, draft.category).id
    params = {
        "f": access.family_id,
        "u": access.user_id,
        "c": category_id,
        "a": amount,
        "r": draft.refund,
        "d": description,
        "o": occurred_on,
        "ci": draft.client_id or uuid.uuid4(),
        "given": draft.occurred_on is not None,
        "inside": _uow.NOTIFY_INSIDE_TRANSACTION,
    }
    push = notifications.channel_configured("push")
    for _ in range(2):  # a concurrent save of the same client_id: the second call is a replay
        try:
            with access.engine.connect() as conn:
                if not push:
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")  # one statement, its own transaction
                with door_errors("add transactions"):
                    row = conn.execute(_ADD, params).mappings().one()
                tx = Transaction(*(row[k] for k in Transaction.__slots__ if k not in ("part_count", "parts")))
                if push and not row["replay"]:
                    targets.notify(conn, access.family_id, tx.currency, row["targets"] or [])
                if push and not row["replay"]:
                    _notify_expense(conn, access, tx, today)
                conn.commit()
                if not row["replay"]:
                    notify_after_commit(conn, access.family_id, row["family_version"])
                return tx
        except SavedMeanwhile:
            continue
    raise SavedMeanwhile()  # pragma: no cover - a third writer of one client_id within one call


def _add_split(
    access: FamilyAccess, draft: TransactionDraft, description: str, amount: int, occurred_on: date
) -> Transaction:
    """A split purchase: one transaction with its parts, through the one writer; a replay of its
    ``client_id`` returns the stored one. Refused whole, nothing written, unless the parts add up."""
    client_id = draft.client_id or uuid.uuid4()
    sign = -1 if draft.refund else 1
    try:
        with family_write(access, role="member", action="add transactions") as w:
            stored = w.conn.execute(
                text("SELECT id FROM transactions WHERE family_id = :f AND client_id = :c"),
                {"f": access.family_id, "c": client_id},
            ).scalar()
            if stored is not None:
                raise NothingToWrite(_load(w.conn, access.family_id, stored))
            checked = check_parts(w.conn, access.family_id, draft.parts, amount, w.family["currency"])
            first = checked[0][0]
            (tx_id,) = write_rows(
                w.conn,
                access.family_id,
                [
                    NewRow(
                        access.user_id,
                        first.id,
                        first.kind,
                        sign * amount,
                        description,
                        occurred_on,
                        client_id=client_id,
                        parts=parts_tuple(checked, sign),
                    )
                ],
            ).values()
            crossed = targets.crossed(
                w.conn, access.family_id, [(c.id, occurred_on, sign * a) for c, a in checked if c.kind == "variable"]
            )
            targets.notify(w.conn, access.family_id, w.family["currency"], crossed)
            tx = _written(w.conn, access.family_id, tx_id)
            w.emit(
                "transaction.added",
                {
                    **_event_payload(
                        w,
                        {"id": tx_id, "amount": sign * amount, "description": description, "occurred_on": occurred_on},
                        tx.category,
                        tx.kind,
                    ),
                    "parts": [{"category": x.category, "amount": x.amount} for x in tx.parts],
                    **({"targets": crossed} if crossed else {}),
                },
            )
    except NothingToWrite as replay:
        return replay.result
    return tx


def _notify_expense(conn: Connection, access: FamilyAccess, tx: Transaction, today: date) -> None:
    """Queue the push notifications an expense may call for (in the same transaction)."""
    from ..domain.money import format_money
    from .budgets import load_inputs_on

    if tx.kind == "income" or tx.amount <= 0:
        return
    cur, who, fid, amount = tx.currency, tx.member, access.family_id, tx.amount
    locale = access.family.locale()
    threshold = access.family.big_expense_threshold
    if threshold and amount >= threshold:
        notifications.enqueue(
            conn,
            fid,
            "push",
            "big_expense",
            "Big expense",
            f"{who} spent {format_money(amount, cur, locale)} on {tx.description}",
        )
    if tx.kind == "variable" and tx.occurred_on == today:
        budget = load_inputs_on(conn, access, today).budget()
        if budget.left_today < 0 <= budget.left_today + amount:
            notifications.enqueue(
                conn,
                fid,
                "push",
                "over_allowance",
                "Over today's allowance",
                f"{who} spent {format_money(amount, cur, locale)} on {tx.description}; the family is "
                f"{format_money(budget.over_by, cur, locale)} over today's allowance",
            )


@dataclass(frozen=True, slots=True)
class TransactionChanges:
    """The new content of an edited transaction (all of it, as the person sees it)."""

    amount: int
    description: str
    category: int | str
    occurred_on: date
    refund: bool = False
    parts: tuple[SplitPart, ...] | None = None  # None: a split keeps its parts; (): no longer split


def _missing(conn: Connection, family_id: int, tx_id: int, expected: int) -> Conflict | NotFound:
    """A transaction that is not there: a Conflict if someone deleted it (the feed says who),
    NotFound if this family never had it."""
    deleter = conn.execute(
        text(
            "SELECT coalesce(payload->>'actor', 'Someone') FROM events WHERE family_id = :f "
            "AND kind = 'transaction.deleted' AND payload->>'id' = :i ORDER BY version DESC LIMIT 1"
        ),
        {"f": family_id, "i": str(tx_id)},
    ).scalar()
    if deleter is None:
        return NotFound(f"This family has no transaction {tx_id}.")
    return Conflict(
        f"{deleter} deleted this transaction while you were looking at it; nothing was changed.",
        expected_version=expected,
        current_version=None,
        by=deleter,
    )


def _stale(conn: Connection, stored: Transaction, expected: int) -> Conflict:
    # The row names its author, not its last editor; the newest edit event names who changed it.
    editor = (
        conn.execute(
            text(
                "SELECT payload->>'actor' FROM events WHERE family_id = :f "
                "AND kind IN ('transaction.edited', 'transaction.added', 'transaction.restored') "
                "AND payload->>'id' = :i ORDER BY version DESC LIMIT 1"
            ),
            {"f": stored.family_id, "i": str(stored.id)},
        ).scalar()
        or "Someone"
    )
    return Conflict(
        f"{editor} changed this transaction while you were editing it. Nothing was overwritten: "
        "compare the two, then choose what to keep.",
        expected_version=expected,
        current_version=stored.row_version,
        current=stored,
        by=editor,
    )


@measure("transactions.edit")
def edit_transaction(
    access: FamilyAccess,
    tx_id: int,
    row_version: int,
    changes: TransactionChanges,
    *,
    now: datetime | None = None,
    merged_with: str | None = None,
) -> Transaction:
    """Replace a transaction's content if it is still at ``row_version``; else raise Conflict.
    ``merged_with`` names the member whose change this one keeps (a "keep both changes" merge)."""
    description = _check_description(changes.description)
    family_id = access.family_id
    with family_write(access, role="member", action="edit transactions") as w:
        stored = _load(w.conn, family_id, tx_id)
        if stored is None:
            raise _missing(w.conn, family_id, tx_id, row_version)
        if stored.row_version != row_version:
            raise _stale(w.conn, stored, row_version)
        today = local_today(w.family["timezone"], now or datetime.now(UTC))
        occurred_on = _check_date(changes.occurred_on, today)
        parts: tuple[tuple[int, str, int], ...] | None = None  # None: not split, as before
        if changes.parts or (changes.parts is None and stored.parts):
            wanted = changes.parts or tuple(SplitPart(x.category_id, abs(x.amount)) for x in stored.parts)
            total = _check_amount(changes.amount)
            sign = -1 if changes.refund else 1
            checked = check_parts(w.conn, family_id, wanted, total, w.family["currency"])
            category, amount, parts = checked[0][0], sign * total, parts_tuple(checked, sign)
        else:
            category = find_category(w.conn, family_id, changes.category)
            if category.archived and category.id != stored.category_id:
                raise ValidationError(f"The category '{category.label}' is archived; choose another one.")
            draft = TransactionDraft(
                changes.amount, description, category.id, changes.occurred_on, refund=changes.refund
            )
            amount = _signed_amount(draft, category.kind)
        w.conn.execute(
            text(
                # a bill payment stays fixed spending in an expense category; income, savings or a split unlinks it
                "UPDATE transactions SET amount = :a, description = :d, category_id = :c, "
                "bill_id = CASE WHEN :k IN ('fixed', 'variable') AND :n = 0 THEN bill_id END, "
                "kind = CASE WHEN bill_id IS NOT NULL AND :k IN ('fixed', 'variable') AND :n = 0 THEN 'fixed' "
                "ELSE :k END, parts = :n, "
                "occurred_on = :o, row_version = row_version + 1, updated_at = now() "
                "WHERE family_id = :f AND id = :i"
            ),
            {
                "a": amount,
                "d": description,
                "c": category.id,
                "k": category.kind,
                "n": len(parts or ()),
                "o": occurred_on,
                "f": family_id,
                "i": tx_id,
            },
        )
        if parts is not None or stored.parts:
            replace_parts(w.conn, family_id, tx_id, parts or ())
        edited = _written(w.conn, family_id, tx_id)
        crossed = targets.crossed(w.conn, family_id, _everyday(edited) + [(c, d, -a) for c, d, a in _everyday(stored)])
        targets.notify(w.conn, family_id, w.family["currency"], crossed)
        before = {
            "amount": stored.amount,
            "description": stored.description,
            "category": stored.category,
            "occurred_on": stored.occurred_on.isoformat(),
        }
        payload = _event_payload(
            w,
            {"id": tx_id, "amount": amount, "description": description, "occurred_on": occurred_on},
            edited.category,
            edited.kind,
        )
        if edited.parts:
            payload["parts"] = [{"category": x.category, "amount": x.amount} for x in edited.parts]
        if crossed:
            payload["targets"] = crossed
        if merged_with:
            payload["merged_with"] = merged_with
        w.emit("transaction.edited", {**payload, "before": before, "row_version": stored.row_version + 1})
    return edited


def _everyday(tx: Transaction) -> list[tuple[int, date, int]]:
    """(category id, day, amount) of a transaction's everyday spending, part by part (for targets)."""
    if tx.parts:
        return [(x.category_id, tx.occurred_on, x.amount) for x in tx.parts if x.kind == "variable"]
    return [(tx.category_id, tx.occurred_on, tx.amount)] if tx.kind == "variable" else []


@measure("transactions.delete")
def delete_transaction(access: FamilyAccess, tx_id: int, row_version: int) -> int:
    """Delete a transaction if it is still at ``row_version``; else raise Conflict. The event keeps
    its content; the family version of that event is returned (``restore_transaction`` takes it)."""
    family_id = access.family_id
    with family_write(access, role="member", action="delete transactions") as w:
        stored = _load(w.conn, family_id, tx_id)
        if stored is None:
            raise _missing(w.conn, family_id, tx_id, row_version)
        if stored.row_version != row_version:
            raise _stale(w.conn, stored, row_version)
        import_id = w.conn.execute(
            text("DELETE FROM transactions WHERE family_id = :f AND id = :i RETURNING import_id"),
            {"f": family_id, "i": tx_id},
        ).scalar()
        payload = _event_payload(
            w,
            {
                "id": tx_id,
                "amount": stored.amount,
                "description": stored.description,
                "occurred_on": stored.occurred_on,
            },
            stored.category,
            stored.kind,
        )
        # what restoring it needs (``restore_transaction``): the row as it was, its author and key
        restore = {
            "user_id": stored.user_id,
            "category_id": stored.category_id,
            "client_id": str(stored.client_id),
            "import_id": import_id,
        }
        w.emit("transaction.deleted", {**payload, **restore})
    return w.version


@measure("transactions.restore")
def restore_transaction(access: FamilyAccess, deleted_version: int) -> Transaction:
    """Put back the transaction whose deletion is the family's event ``deleted_version`` (undo).

    The row comes back as it was — author, category, amount, date, description, its ``client_id``
    (so it can come back only once) and its bank-import id — under a new id; a bank row that was
    linked to it is linked again. One change with one event (``transaction.restored``).
    """
    family_id = access.family_id
    with family_write(access, role="member", action="restore transactions") as w:
        payload = w.conn.execute(
            text("SELECT payload FROM events WHERE family_id = :f AND version = :v AND kind = 'transaction.deleted'"),
            {"f": family_id, "v": deleted_version},
        ).scalar()
        if payload is None:
            raise NotFound("There is no deleted transaction to restore there.")
        if not payload.get("client_id"):
            raise ValidationError(
                f"{payload['description']} was deleted before deletions could be undone; add it again instead."
            )
        client_id = uuid.UUID(payload["client_id"])
        back = w.conn.execute(
            text("SELECT 1 FROM transactions WHERE family_id = :f AND client_id = :c"), {"f": family_id, "c": client_id}
        ).first()
        if back is not None:
            raise ValidationError(f"{payload['description']} is already back; nothing was changed.")
        row = NewRow(
            payload["user_id"],
            payload["category_id"],
            payload["kind"],
            payload["amount"],
            payload["description"],
            date.fromisoformat(payload["occurred_on"]),
            payload.get("import_id"),
            client_id,
        )
        new_id = write_rows(w.conn, family_id, [row])[client_id]
        w.conn.execute(
            text("UPDATE imported_rows SET transaction_id = :n WHERE family_id = :f AND transaction_id = :o"),
            {"n": new_id, "f": family_id, "o": payload["id"]},
        )
        w.emit(
            "transaction.restored",
            {
                **_event_payload(
                    w,
                    {
                        "id": new_id,
                        "amount": row.amount,
                        "description": row.description,
                        "occurred_on": row.occurred_on,
                    },
                    payload["category"],
                    row.kind,
                ),
                "restored_from": payload["id"],
                "deleted_version": deleted_version,
            },
        )
        restored = _load(w.conn, family_id, new_id)
    assert restored is not None
    return restored


def get_transaction(access: FamilyAccess, tx_id: int) -> Transaction:
    with access.read() as conn:
        tx = _load(conn, access.family_id, tx_id)
    if tx is None:
        raise NotFound(f"This family has no transaction {tx_id}; it may have been deleted.")
    return tx


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    """Search over one family's transactions; dates inclusive. ``text`` matches the description or
    the category, and, when it reads as an amount in the family's currency, the amount too: '5.75'
    finds 5.75 exactly, a whole '15' finds 15.00 up to 15.99 (refunds by their size)."""

    date_from: date | None = None
    date_to: date | None = None
    member_id: int | None = None
    category_id: int | None = None
    kind: str | None = None
    text: str | None = None
    limit: int = 500


@dataclass(frozen=True, slots=True)
class FilterTotals:
    """What a search matched, all of it (not only the rows shown): how many, what was spent (expenses
    net of refunds, savings included) and what came in as income; minor units."""

    count: int
    spent: int
    income: int


def _amount_range(typed: str, currency: str) -> tuple[int, int] | None:
    """The minor-unit range a search text stands for as an amount, or None when it is no amount."""
    try:
        minor = parse_amount(typed, currency)
    except ValidationError:
        return None
    whole = not re.search(r"[.,]\d+\s*$", typed.strip()) or decimals(currency) == 0
    return (minor, minor + 10 ** decimals(currency) - 1) if whole else (minor, minor)


def _where(access: FamilyAccess, flt: TransactionFilter) -> tuple[str, dict]:
    where = ["t.family_id = :f"]
    params: dict[str, Any] = {"f": access.family_id}
    if flt.date_from:
        where.append("t.occurred_on >= :df")
        params["df"] = flt.date_from
    if flt.date_to:
        where.append("t.occurred_on <= :dt")
        params["dt"] = flt.date_to
    if flt.member_id:
        where.append("t.user_id = :m")
        params["m"] = flt.member_id
    if flt.category_id:
        where.append("(t.category_id = :c OR c.parent_id = :c)")
        params["c"] = flt.category_id
    if flt.kind:
        where.append("t.kind = :k")
        params["k"] = flt.kind
    if flt.text and lookup_text(flt.text).strip():
        typed = lookup_text(flt.text).strip()
        words = "t.description ILIKE :q OR c.name ILIKE :q OR p.name ILIKE :q"
        params["q"] = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        amounts = _amount_range(typed, access.currency)
        if amounts is not None:
            words += " OR abs(t.amount) BETWEEN :alo AND :ahi"
            params["alo"], params["ahi"] = amounts
        where.append(f"({words})")
    return " AND ".join(where), params


@measure("transactions.list")
def list_transactions(
    access: FamilyAccess, flt: TransactionFilter = TransactionFilter(), *, everything: bool = False
) -> list[Transaction]:
    """Newest first (by date, then entry time): the first ``flt.limit`` rows (at most 5,000), or
    with ``everything`` every matching row (a download of exactly what the search found)."""
    where, params = _where(access, flt)
    sql = _SELECT + "WHERE " + where + " ORDER BY t.occurred_on DESC, t.id DESC"
    if not everything:
        sql += " LIMIT :lim"
        params["lim"] = max(1, min(flt.limit, 5000))
    with access.read() as conn:
        return _with_parts(conn, access.family_id, [Transaction(*r) for r in conn.execute(text(sql), params).all()])


def filter_totals(access: FamilyAccess, flt: TransactionFilter) -> FilterTotals:
    """The count and totals of every row ``flt`` matches (one query, whatever the limit)."""
    where, params = _where(access, flt)
    sql = (
        "SELECT count(*), coalesce(sum(t.amount) FILTER (WHERE t.kind <> 'income'), 0), "
        "coalesce(sum(t.amount) FILTER (WHERE t.kind = 'income'), 0) "
        "FROM transactions t JOIN categories c ON c.family_id = t.family_id AND c.id = t.category_id "
        "LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id WHERE " + where
    )
    with access.read() as conn:
        count, spent, income = conn.execute(text(sql), params).one()
    return FilterTotals(int(count), int(spent), int(income))


def last_category_id(access: FamilyAccess) -> int | None:
    """The category this member used last (the quick-entry form preselects it)."""
    with access.read() as conn:
        return conn.execute(
            text(
                "SELECT m.last_category_id FROM members m JOIN categories c ON c.family_id = m.family_id "
                "AND c.id = m.last_category_id AND c.archived_at IS NULL "
                "WHERE m.family_id = :f AND m.user_id = :u"
            ),
            {"f": access.family_id, "u": access.user_id},
        ).scalar()


def restorable(access: FamilyAccess, deleted_versions: Sequence[int]) -> set[int]:
    """Of the deletion events ``deleted_versions``, those whose transaction can still be put back
    (``restore_transaction``): recorded with what restoring needs, and not back already."""
    if not deleted_versions:
        return set()
    with access.read() as conn:
        rows = conn.execute(
            text(
                "SELECT e.version FROM events e WHERE e.family_id = :f AND e.version = ANY(:v) "
                "AND e.kind = 'transaction.deleted' AND e.payload ? 'client_id' AND NOT EXISTS ("
                "SELECT 1 FROM transactions t WHERE t.family_id = e.family_id "
                "AND t.client_id = (e.payload->>'client_id')::uuid)"
            ),
            {"f": access.family_id, "v": list(deleted_versions)},
        ).all()
    return {r[0] for r in rows}

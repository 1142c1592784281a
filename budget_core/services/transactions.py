"""Transactions: add (idempotent by client_id), edit and delete (optimistic, by row_version), list.

Amounts are minor units. An expense is positive; a refund is an expense entered explicitly as a
refund and stored negative; income is positive and goes in with an income category.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Connection, Engine, text

from ..db.scope import scoped
from ..ops.reliability import measure
from ..errors import Conflict, NotFound, ValidationError
from ..domain.money import MAX_MINOR, decimal_string
from ..domain.period import local_today
from ..domain.storable import check_storable, lookup_text
from ._uow import NothingToWrite, family_write
from .categories import find_category
from .families import get_family

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

    @property
    def is_refund(self) -> bool:
        return self.amount < 0 and self.kind != "income"

    def as_json(self) -> dict:
        return {
            "id": self.id, "family_id": self.family_id, "member": self.member, "user_id": self.user_id,
            "category": self.category, "category_id": self.category_id, "kind": self.kind,
            "amount": decimal_string(self.amount, self.currency), "amount_minor": self.amount,
            "currency": self.currency, "description": self.description,
            "occurred_on": self.occurred_on.isoformat(), "created_at": self.created_at.isoformat(),
            "client_id": str(self.client_id), "row_version": self.row_version, "refund": self.is_refund,
        }


_SELECT = (
    "SELECT t.id, t.family_id, t.user_id, m.display_name AS member, t.category_id, "
    "CASE WHEN p.name IS NULL THEN c.name ELSE p.name || ' › ' || c.name END AS category, t.kind, t.amount, "
    "f.currency, t.description, t.occurred_on, t.created_at, t.updated_at, t.client_id, t.row_version "
    "FROM transactions t JOIN families f ON f.id = t.family_id "
    "JOIN members m ON m.family_id = t.family_id AND m.user_id = t.user_id "
    "JOIN categories c ON c.family_id = t.family_id AND c.id = t.category_id "
    "LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id "
)


def _load(conn: Connection, family_id: int, tx_id: int) -> Transaction | None:
    row = conn.execute(text(_SELECT + "WHERE t.family_id = :f AND t.id = :i"), {"f": family_id, "i": tx_id}).first()
    return Transaction(*row) if row else None


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
    return {"actor": w.actor_name, "id": tx["id"], "amount": tx["amount"], "currency": w.family["currency"],
            "description": tx["description"], "category": category, "kind": kind,
            "occurred_on": tx["occurred_on"].isoformat()}


@measure("transactions.add")
def add_transaction(engine: Engine, actor_id: int, family_id: int, draft: TransactionDraft,
                    *, now: datetime | None = None) -> Transaction:
    """Record an expense, refund or income for ``actor_id`` in ``family_id``.

    Idempotent: a draft whose ``client_id`` is already stored returns the stored transaction and
    writes nothing; the same ``client_id`` with different content is refused.
    """
    description = _check_description(draft.description)
    client_id = draft.client_id or uuid.uuid4()
    try:
        with family_write(engine, family_id, actor_id, role="member", action="add transactions") as w:
            category = find_category(w.conn, family_id, draft.category)
            if category.archived:
                raise ValidationError(f"The category '{category.label}' is archived; choose another one.")
            amount = _signed_amount(draft, category.kind)
            today = local_today(w.family["timezone"], now or datetime.now(timezone.utc))
            occurred_on = _check_date(draft.occurred_on or today, today)
            existing = w.conn.execute(
                text("SELECT id FROM transactions WHERE family_id = :f AND client_id = :c"),
                {"f": family_id, "c": client_id},
            ).scalar()
            if existing is not None:
                stored = _load(w.conn, family_id, existing)
                # An undated draft means "the day it was first saved": a retry after midnight is the same entry.
                same = (stored.amount, stored.description, stored.category_id, stored.occurred_on, stored.user_id) == \
                       (amount, description, category.id, draft.occurred_on or stored.occurred_on, actor_id)
                if not same:
                    raise ValidationError("This entry was already saved with different details; "
                                          "reload the form to enter a new one.")
                raise NothingToWrite(stored)
            row = w.conn.execute(
                text("INSERT INTO transactions (family_id, user_id, category_id, kind, amount, description, "
                     "occurred_on, client_id) VALUES (:f, :u, :c, :k, :a, :d, :o, :ci) "
                     "RETURNING id, amount, description, occurred_on"),
                {"f": family_id, "u": actor_id, "c": category.id, "k": category.kind, "a": amount,
                 "d": description, "o": occurred_on, "ci": client_id},
            ).mappings().one()
            w.conn.execute(text("UPDATE members SET last_category_id = :c WHERE family_id = :f AND user_id = :u"),
                           {"c": category.id, "f": family_id, "u": actor_id})
            w.emit("transaction.added", _event_payload(w, row, category.label, category.kind))
            _notify_expense(w, amount, description, category.kind, occurred_on, today)
            tx_id = row["id"]
    except NothingToWrite as replay:
        return replay.result
    return get_transaction(engine, actor_id, family_id, tx_id)


def _notify_expense(w, amount: int, description: str, kind: str, occurred_on: date, today: date) -> None:
    """Queue the push notifications an expense may call for (in the same transaction)."""
    from ..ops import notifications
    from ..domain.allowance import compute_daily_budget
    from ..domain.money import format_money
    from .budgets import load_inputs_on

    if not notifications.channel_configured("push") or kind == "income" or amount <= 0:
        return
    cur, who, fid = w.family["currency"], w.actor_name, w.family_id
    threshold = w.family.get("big_expense_threshold")
    if threshold and amount >= threshold:
        notifications.enqueue(w.conn, fid, "push", "big_expense", "Big expense",
                              f"{who} spent {format_money(amount, cur)} on {description}")
    if kind == "variable" and occurred_on == today:
        inputs = load_inputs_on(w.conn, fid, today)
        budget = compute_daily_budget(inputs.plan, inputs.totals, today)
        if budget.left_today < 0 <= budget.left_today + amount:
            notifications.enqueue(w.conn, fid, "push", "over_allowance", "Over today's allowance",
                                  f"{who} spent {format_money(amount, cur)} on {description}; the family is "
                                  f"{format_money(budget.over_by, cur)} over today's allowance")


@dataclass(frozen=True, slots=True)
class TransactionChanges:
    """The new content of an edited transaction (all of it, as the person sees it)."""

    amount: int
    description: str
    category: int | str
    occurred_on: date
    refund: bool = False


def _missing(conn: Connection, family_id: int, tx_id: int, expected: int) -> Conflict | NotFound:
    """A transaction that is not there: a Conflict if someone deleted it (the feed says who),
    NotFound if this family never had it."""
    deleter = conn.execute(
        text("SELECT coalesce(payload->>'actor', 'Someone') FROM events WHERE family_id = :f "
             "AND kind = 'transaction.deleted' AND payload->>'id' = :i ORDER BY version DESC LIMIT 1"),
        {"f": family_id, "i": str(tx_id)},
    ).scalar()
    if deleter is None:
        return NotFound(f"This family has no transaction {tx_id}.")
    return Conflict(f"{deleter} deleted this transaction while you were looking at it; nothing was changed.",
                    expected_version=expected, current_version=None)


def _stale(conn: Connection, stored: Transaction, expected: int) -> Conflict:
    # The row names its author, not its last editor; the newest edit event names who changed it.
    editor = conn.execute(
        text("SELECT payload->>'actor' FROM events WHERE family_id = :f AND kind = 'transaction.edited' "
             "AND payload->>'id' = :i ORDER BY version DESC LIMIT 1"),
        {"f": stored.family_id, "i": str(stored.id)},
    ).scalar() or "Someone"
    return Conflict(f"{editor} changed this transaction while you were editing it "
                    f"(you saw version {expected}, it is now version {stored.row_version}). "
                    "Review their version, then keep yours or take theirs.",
                    expected_version=expected, current_version=stored.row_version, current=stored)


@measure("transactions.edit")
def edit_transaction(engine: Engine, actor_id: int, family_id: int, tx_id: int, row_version: int,
                     changes: TransactionChanges, *, now: datetime | None = None) -> Transaction:
    """Replace a transaction's content if it is still at ``row_version``; else raise Conflict."""
    description = _check_description(changes.description)
    with family_write(engine, family_id, actor_id, role="member", action="edit transactions") as w:
        stored = _load(w.conn, family_id, tx_id)
        if stored is None:
            raise _missing(w.conn, family_id, tx_id, row_version)
        if stored.row_version != row_version:
            raise _stale(w.conn, stored, row_version)
        category = find_category(w.conn, family_id, changes.category)
        if category.archived and category.id != stored.category_id:
            raise ValidationError(f"The category '{category.label}' is archived; choose another one.")
        draft = TransactionDraft(changes.amount, description, category.id, changes.occurred_on, refund=changes.refund)
        amount = _signed_amount(draft, category.kind)
        today = local_today(w.family["timezone"], now or datetime.now(timezone.utc))
        occurred_on = _check_date(changes.occurred_on, today)
        w.conn.execute(
            text("UPDATE transactions SET amount = :a, description = :d, category_id = :c, kind = :k, "
                 "occurred_on = :o, row_version = row_version + 1, updated_at = now() "
                 "WHERE family_id = :f AND id = :i"),
            {"a": amount, "d": description, "c": category.id, "k": category.kind, "o": occurred_on,
             "f": family_id, "i": tx_id},
        )
        before = {"amount": stored.amount, "description": stored.description, "category": stored.category,
                  "occurred_on": stored.occurred_on.isoformat()}
        payload = _event_payload(w, {"id": tx_id, "amount": amount, "description": description,
                                     "occurred_on": occurred_on}, category.label, category.kind)
        w.emit("transaction.edited", {**payload, "before": before, "row_version": stored.row_version + 1})
    return get_transaction(engine, actor_id, family_id, tx_id)


@measure("transactions.delete")
def delete_transaction(engine: Engine, actor_id: int, family_id: int, tx_id: int, row_version: int) -> None:
    """Delete a transaction if it is still at ``row_version``; else raise Conflict. The event keeps its content."""
    with family_write(engine, family_id, actor_id, role="member", action="delete transactions") as w:
        stored = _load(w.conn, family_id, tx_id)
        if stored is None:
            raise _missing(w.conn, family_id, tx_id, row_version)
        if stored.row_version != row_version:
            raise _stale(w.conn, stored, row_version)
        w.conn.execute(text("DELETE FROM transactions WHERE family_id = :f AND id = :i"), {"f": family_id, "i": tx_id})
        w.emit("transaction.deleted", _event_payload(
            w, {"id": tx_id, "amount": stored.amount, "description": stored.description,
                "occurred_on": stored.occurred_on}, stored.category, stored.kind))


def get_transaction(engine: Engine, user_id: int, family_id: int, tx_id: int) -> Transaction:
    get_family(engine, user_id, family_id)
    with scoped(engine, family_id, user_id) as conn:
        tx = _load(conn, family_id, tx_id)
    if tx is None:
        raise NotFound(f"This family has no transaction {tx_id}; it may have been deleted.")
    return tx


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    """Search over one family's transactions; dates inclusive, text matches description or category."""

    date_from: date | None = None
    date_to: date | None = None
    member_id: int | None = None
    category_id: int | None = None
    kind: str | None = None
    text: str | None = None
    limit: int = 500


@measure("transactions.list")
def list_transactions(engine: Engine, user_id: int, family_id: int,
                      flt: TransactionFilter = TransactionFilter()) -> list[Transaction]:
    """Newest first (by date, then entry time)."""
    get_family(engine, user_id, family_id)
    where, params = ["t.family_id = :f"], {"f": family_id, "lim": max(1, min(flt.limit, 5000))}
    if flt.date_from:
        where.append("t.occurred_on >= :df"); params["df"] = flt.date_from
    if flt.date_to:
        where.append("t.occurred_on <= :dt"); params["dt"] = flt.date_to
    if flt.member_id:
        where.append("t.user_id = :m"); params["m"] = flt.member_id
    if flt.category_id:
        where.append("(t.category_id = :c OR c.parent_id = :c)"); params["c"] = flt.category_id
    if flt.kind:
        where.append("t.kind = :k"); params["k"] = flt.kind
    if flt.text and lookup_text(flt.text).strip():
        where.append("(t.description ILIKE :q OR c.name ILIKE :q OR p.name ILIKE :q)")
        params["q"] = "%" + lookup_text(flt.text).strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql = _SELECT + "WHERE " + " AND ".join(where) + " ORDER BY t.occurred_on DESC, t.id DESC LIMIT :lim"
    with scoped(engine, family_id, user_id) as conn:
        return [Transaction(*r) for r in conn.execute(text(sql), params).all()]


def last_category_id(engine: Engine, user_id: int, family_id: int) -> int | None:
    """The category this member used last (the quick-entry form preselects it)."""
    with scoped(engine, family_id, user_id) as conn:
        return conn.execute(
            text("SELECT m.last_category_id FROM members m JOIN categories c ON c.family_id = m.family_id "
                 "AND c.id = m.last_category_id AND c.archived_at IS NULL "
                 "WHERE m.family_id = :f AND m.user_id = :u"),
            {"f": family_id, "u": user_id},
        ).scalar()


def with_category(draft: TransactionDraft, category: int | str) -> TransactionDraft:
    return replace(draft, category=category)

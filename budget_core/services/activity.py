"""The family's event log, read as the change feed, the activity feed and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, text

from ..domain.locale import display_name
from ..domain.money import format_money
from ..ops.reliability import measure
from .access import FamilyAccess

PLAN_WORDS = {
    "name": "the family name",
    "monthly_income": "the monthly income",
    "savings_goal": "the savings goal",
    "period_start_day": "the period start day",
    "currency": "the currency",
    "timezone": "the time zone",
    "big_expense_threshold": "the big-expense alert",
    "bill_tolerance_pct": "the bill tolerance (percent)",
    "carry_over": "carry-over",
    "locale": "the way money and dates are written",
}
MONEY_FIELDS = {"monthly_income", "savings_goal", "big_expense_threshold"}


@dataclass(frozen=True, slots=True)
class Event:
    family_id: int
    version: int
    actor_id: int | None
    kind: str
    payload: dict
    at: datetime
    locale: str | None = None  # how the family writes money (None: the currency's own way)

    @property
    def actor(self) -> str:
        return self.payload.get("actor") or "Someone"

    @property
    def text(self) -> str:
        return describe(self.kind, self.payload, self.locale)

    def as_json(self) -> dict:
        return {
            "version": self.version,
            "actor": self.actor,
            "actor_id": self.actor_id,
            "kind": self.kind,
            "text": self.text,
            "at": self.at.isoformat(),
            "payload": self.payload,
        }


def _plan_change(field: str, new, currency: str, locale: str | None) -> str:
    if field in MONEY_FIELDS and new is not None:
        shown = format_money(new, currency, locale)
    elif field == "locale":
        shown = display_name(new) if new else "the currency's own way"
    elif new is None:
        shown = "nothing"
    else:
        shown = str(new)
    return f"{PLAN_WORDS.get(field, field)} to {shown}"


def _transaction_sentence(actor: str, p: dict, money) -> str:
    what, kind, amount = p["description"], p.get("kind"), p["amount"]
    if p.get("schedule"):
        return f"{what} {money(amount)} was added ({p['schedule']})"
    if p.get("bill") and amount > 0:
        paid = f"{actor} paid the bill {p['bill']} ({money(amount)})"
        return paid if what.strip().casefold() == p["bill"].strip().casefold() else f"{paid}: {what}"
    if p.get("parts"):
        parts = ", ".join(f"{x['category']} {money(x['amount'])}" for x in p["parts"])
        return f"{actor} spent {money(amount)} at {what} ({parts})"
    if kind == "income":
        return f"{actor} recorded {money(amount)} of income: {what}"
    if amount < 0:
        return f"{actor} got a refund of {money(-amount)} for {what}"
    if kind == "savings":
        return f"{actor} put {money(amount)} into savings: {what}"
    return f"{actor} spent {money(amount)} on {what}"


def describe(kind: str, p: dict, locale: str | None = None) -> str:
    """One human sentence per event: 'Dad spent $15.00 on Lunch', money written the family's way
    (``locale``). User text is returned as typed; whoever displays it escapes it. A change that took
    a category over its target says so too ("… — Dining is over its $200.00 target ($215.00 this
    period)")."""
    said = _describe(kind, p, locale)
    for t in p.get("targets") or ():
        said += f" — {t['category']} is over its {format_money(t['target'], p['currency'], locale)} target " + (
            f"({format_money(t['spent'], p['currency'], locale)} this period)"
        )
    return said


def _describe(kind: str, p: dict, locale: str | None = None) -> str:
    actor = p.get("actor") or "Someone"
    currency = p.get("currency") or "USD"

    def money(minor: int) -> str:
        return format_money(minor, currency, locale)

    def _money(p: dict, key: str = "amount") -> str:
        return money(p[key])

    if kind == "transaction.added":
        return _transaction_sentence(actor, p, money)
    if kind == "transaction.edited":
        before = p.get("before", {})
        changed = []
        if before.get("amount") != p["amount"]:
            changed.append(f"{money(before['amount'])} → {_money(p)}")
        if before.get("description") not in (None, p["description"]):
            changed.append(f"'{before['description']}' → '{p['description']}'")
        if before.get("category") not in (None, p["category"]):
            changed.append(f"{before['category']} → {p['category']}")
        if before.get("occurred_on") not in (None, p["occurred_on"]):
            changed.append(f"{before['occurred_on']} → {p['occurred_on']}")
        detail = ": " + ", ".join(changed) if changed else ""
        kept = f" (keeping {p['merged_with']}'s change too)" if p.get("merged_with") else ""
        return f"{actor} changed {p['description']}{detail}{kept}"
    if kind == "transaction.deleted":
        return f"{actor} deleted {p['description']} ({_money(p)})"
    if kind == "transaction.restored":
        return f"{actor} restored {p['description']} ({_money(p)})"
    if kind == "plan.updated":
        changes = p.get("changes") or {}
        if not changes:
            return f"{actor} saved the plan without changes"
        return f"{actor} changed " + "; ".join(_plan_change(f, v[1], currency, locale) for f, v in changes.items())
    if kind == "fixed.added":
        return f"{actor} planned a fixed expense: {p['name']} ({_money(p)})"
    if kind == "fixed.changed":
        before = p.get("before") or {}
        parts = []
        if before.get("name") not in (None, p["name"]):
            parts.append(f"renamed {before['name']} to {p['name']}")
        if before.get("amount") not in (None, p["amount"]):
            parts.append(f"{money(before['amount'])} → {_money(p)}")
        return f"{actor} changed the fixed expense {p['name']}" + (": " + ", ".join(parts) if parts else "")
    if kind == "fixed.removed":
        return f"{actor} removed the fixed expense {p['name']} ({_money(p)})"
    if kind == "category.added":
        under = f" under {p['parent']}" if p.get("parent") else ""
        return f"{actor} added the {p['kind']} category {p['name']}{under}"
    if kind == "category.renamed":
        return f"{actor} renamed the category {p['old']} to {p['name']}"
    if kind == "category.archived":
        return f"{actor} archived the category {p['name']}"
    if kind == "category.restored":
        return f"{actor} restored the category {p['name']}"
    if kind == "member.joined":
        return f"{p['member']} joined the family as a {p['role']}"
    if kind == "member.role_changed":
        return f"{actor} made {p['member']} a {p['role']}"
    if kind == "member.removed":
        return f"{actor} removed {p['member']} from the family"
    if kind == "member.renamed":
        return f"{p['old']} is now called {p['member']}"
    if kind == "member.reset_link":
        return f"{actor} made a password reset link for {p['member']}"
    if kind == "invitation.created":
        return f"{actor} invited someone to join as {p['role']}"
    if kind == "invitation.revoked":
        return f"{actor} revoked an invitation"
    if kind == "family.created":
        return f"{actor} created the family {p['name']}"
    if kind == "import.completed":
        bills = f", {p['bills_paid']} paying bills" if p.get("bills_paid") else ""
        undecided = f", {p['needs_category']} needing a category" if p.get("needs_category") else ""
        return f"{actor} imported {p['count']} transactions from {p['file']}{bills}{undecided}"
    if kind == "target.set":
        if p.get("amount") is None:
            return f"{actor} removed the target of {p['category']}"
        return f"{actor} set a target for {p['category']}: {_money(p)} a period"
    if kind == "schedule.added":
        return f"{actor} scheduled {p['description']} {_money(p)} ({p['when']})"
    if kind == "schedule.changed":
        return f"{actor} changed the schedule {p['description']} ({p['when']})"
    if kind == "schedule.deleted":
        return f"{actor} deleted the schedule {p['description']}"
    if kind == "schedule.skipped":
        return f"{actor} skipped {p['description']} on {p['on']}"
    if kind == "plan.carry_over":
        return f"{actor} switched carry-over {'on' if p['on'] else 'off'}"
    if kind == "import.undone":
        return f"{actor} undid the import of {p['file']}: {p['removed']} transactions removed"
    if kind == "bill.changed":
        return f"{actor} changed the bill {p['name']}: {p.get('text', '')}".rstrip(": ")
    if kind == "transactions.categorised":
        return f"{actor} put {p['count']} bank rows into {p['category']}"
    if kind == "import.links_confirmed":
        return f"{actor} confirmed {p['count']} bank rows as matching expenses typed by hand"
    if kind == "rule.added":
        return f"{actor} added a rule: {p.get('text') or p['pattern'] + ' → ' + p['category']}"
    if kind == "rule.changed":
        return f"{actor} changed a rule: {p.get('text') or p['pattern'] + ' → ' + p['category']}"
    if kind == "rule.moved":
        return f"{actor} moved the rule '{p['pattern']}' to position {p.get('position')}"
    if kind == "rule.deleted":
        return f"{actor} deleted the rule '{p['pattern']}' → {p['category']}"
    return f"{actor}: {kind}"


@measure("activity.changes_since")
def changes_since(
    access: FamilyAccess, cursor: int = 0, *, limit: int = 1000, locale: str | None = None
) -> list[Event]:
    """Events after version ``cursor``, oldest first (the sync feed); their sentences write money
    in ``locale`` (default: the family's)."""
    with access.read() as conn:
        rows = conn.execute(
            text(
                "SELECT family_id, version, actor_id, kind, payload, at FROM events "
                "WHERE family_id = :f AND version > :c ORDER BY version LIMIT :l"
            ),
            {"f": access.family_id, "c": cursor, "l": limit},
        ).all()
    locale = locale or access.family.locale()
    return [Event(r[0], r[1], r[2], r[3], r[4], r[5], locale) for r in rows]


def recent_activity(
    access: FamilyAccess, *, before: int | None = None, limit: int = 50, locale: str | None = None
) -> list[Event]:
    """The newest events first; ``before`` pages back through older ones (the Activity page)."""
    with access.read() as conn:
        rows = conn.execute(
            text(
                "SELECT family_id, version, actor_id, kind, payload, at FROM events "
                "WHERE family_id = :f AND (CAST(:b AS bigint) IS NULL OR version < :b) "
                "ORDER BY version DESC LIMIT :l"
            ),
            {"f": access.family_id, "b": before, "l": limit},
        ).all()
    locale = locale or access.family.locale()
    return [Event(r[0], r[1], r[2], r[3], r[4], r[5], locale) for r in rows]


def family_version(engine: Engine, family_id: int) -> int | None:
    """The family's current version: one primary-key lookup (the watcher's fallback)."""
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT version FROM family_versions(ARRAY[CAST(:f AS bigint)])"), {"f": family_id}
        ).scalar()

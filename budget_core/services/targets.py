"""Category targets: "Dining $200 a period" — spent against target with the pace, and one notice
when a change takes a category over its target.

Targets inform; they do not change the daily allowance formula. Crossing is decided in the database
(``targets_crossed``, migration 0012): a change crosses a target when the category's spending in
the period is at or above it after the change and was below it before. The typed entry reports it
itself (``ledger_add``); every other writer calls :func:`crossed` inside its write and puts the
result in its one event (``targets``), so the activity feed says it once, and :func:`notify` queues
the push notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from ..domain.money import format_money
from ..domain.period import days_in_period, period_bounds
from ..errors import ValidationError
from ..ops import notifications
from ._uow import NothingToWrite, family_write
from .access import FamilyAccess
from .categories import find_category
from .families import check_plan_amount


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """One category's spending this period against its target, with the pace (minor units)."""

    category_id: int
    category: str
    target: int
    spent: int
    period_start: date
    period_end: date
    on: date

    @property
    def share(self) -> float:
        return self.spent / self.target if self.target else 0.0

    @property
    def pace(self) -> int:
        """What the spending so far would reach by the period end at the same daily pace."""
        elapsed = days_in_period(self.period_start, self.on)
        return self.spent * days_in_period(self.period_start, self.period_end) // elapsed

    @property
    def over(self) -> bool:
        return self.spent >= self.target

    def phrase(self, currency: str, locale: str | None = None) -> str:
        """'Dining: $150.00 of $200.00 · on pace for $240.00', the money in ``locale``'s way."""
        spent, target, pace = (format_money(x, currency, locale) for x in (self.spent, self.target, self.pace))
        return f"{self.category}: {spent} of {target} · on pace for {pace}"


def crossed(conn: Connection, family_id: int, changes: list[tuple[int, date, int]]) -> list[dict]:
    """The targets this change (category id, day, signed delta of everyday spending) took over the
    line, as the event records them. Call after writing the change, inside the same transaction."""
    if not changes:
        return []
    rows = conn.execute(
        text("SELECT category, target, spent FROM targets_crossed(:f, :c, :d, :a)"),
        {
            "f": family_id,
            "c": [c for c, _, _ in changes],
            "d": [d for _, d, _ in changes],
            "a": [a for *_, a in changes],
        },
    ).all()
    return [{"category": c, "target": t, "spent": s} for c, t, s in rows]


def notify(conn: Connection, family_id: int, currency: str, targets: list[dict]) -> None:
    """Queue the push notice of each crossed target (when push is configured), in the caller's transaction."""
    for t in targets or ():
        notifications.enqueue(
            conn,
            family_id,
            "push",
            "target_crossed",
            "Over a category target",
            sentence(t, currency),
        )


def sentence(t: dict, currency: str) -> str:
    return (
        f"{t['category']} is over its {format_money(t['target'], currency)} target "
        f"({format_money(t['spent'], currency)} this period)"
    )


def set_target(access: FamilyAccess, category: int | str, amount: int | None) -> int | None:
    """Set (or with ``None`` remove) an everyday category's target per period; managers only."""
    if amount is not None and check_plan_amount(amount, "target") == 0:
        raise ValidationError("A target must be more than zero; to remove it, clear it.")
    try:
        with family_write(access, role="manager", action="change targets") as w:
            cat = find_category(w.conn, access.family_id, category)
            if cat.kind != "variable":
                raise ValidationError(f"Targets are for everyday categories; '{cat.label}' is not one.")
            before = w.conn.execute(
                text("SELECT amount FROM category_targets WHERE family_id = :f AND category_id = :c"),
                {"f": access.family_id, "c": cat.id},
            ).scalar()
            if before == amount:
                raise NothingToWrite(amount)
            if amount is None:
                w.conn.execute(
                    text("DELETE FROM category_targets WHERE family_id = :f AND category_id = :c"),
                    {"f": access.family_id, "c": cat.id},
                )
            else:
                w.conn.execute(
                    text(
                        "INSERT INTO category_targets (family_id, category_id, amount) VALUES (:f, :c, :a) "
                        "ON CONFLICT (family_id, category_id) DO UPDATE SET amount = EXCLUDED.amount"
                    ),
                    {"f": access.family_id, "c": cat.id, "a": amount},
                )
            w.emit(
                "target.set",
                {"actor": w.actor_name, "category": cat.label, "amount": amount, "currency": w.family["currency"]},
            )
    except NothingToWrite as nothing:
        return nothing.result
    return amount


def target_statuses(access: FamilyAccess, on: date | None = None) -> list[TargetStatus]:
    """Every target with this period's spending (subcategories and split parts included)."""
    on = on or access.today()
    start, end = period_bounds(access.family.period_start_day, on)
    with access.read() as conn:
        rows = conn.execute(
            text(
                "SELECT g.category_id, CASE WHEN p.name IS NULL THEN c.name ELSE p.name || ' › ' || c.name END, "
                "g.amount, category_spent(g.family_id, g.category_id, :on) FROM category_targets g "
                "JOIN categories c ON c.family_id = g.family_id AND c.id = g.category_id "
                "LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id "
                "WHERE g.family_id = :f ORDER BY 2"
            ),
            {"f": access.family_id, "on": on},
        ).all()
    return [TargetStatus(cid, label, target, spent, start, end, on) for cid, label, target, spent in rows]

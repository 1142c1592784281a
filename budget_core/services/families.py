"""Families and their plan: create, read, change the plan, planned fixed expenses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import Engine, text

from ..db.scope import scope, scoped
from ..domain.locale import check_locale
from ..domain.money import MAX_MINOR, check_currency
from ..domain.period import check_start_day
from ..domain.storable import check_storable
from ..errors import NotFound, ValidationError
from ..ops.reliability import measure
from ._uow import NothingToWrite, family_write, notify_after_commit, record_event
from .access import Family, FamilyAccess, open_family
from .accounts import check_display_name

open = open_family  # families.open(engine, user_id, family_id): the one door (see access.py)

DEFAULT_CATEGORIES = {
    "fixed": ["Housing", "Utilities", "Insurance"],
    "variable": ["Groceries", "Dining", "Transport", "Household", "Fun"],
    "savings": ["Savings"],
    "income": ["Salary", "Other income"],
}


@dataclass(frozen=True, slots=True)
class FixedExpense:
    id: int
    name: str
    amount: int


@dataclass(frozen=True, slots=True)
class Membership:
    family_id: int
    family_name: str
    role: str
    display_name: str


@lru_cache(maxsize=1)
def _known_timezones() -> frozenset[str]:
    # available_timezones() walks the whole time zone database on disk (about 20 ms) on every call.
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    tz = (name or "").strip()
    try:
        if tz not in _known_timezones():
            raise ZoneInfoNotFoundError(tz)
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"'{name}' is not a time zone we know; use an IANA name such as Europe/Berlin.") from None
    return tz


def check_plan_amount(value: int, what: str, *, positive: bool = False) -> int:
    """A plan amount in minor units: 0 or more (more than 0 with ``positive``), within range."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(f"The {what} must be a whole number of minor units.")
    if value < 0:
        raise ValidationError(f"The {what} cannot be negative.")
    if positive and value == 0:
        raise ValidationError(f"Enter the family's {what}, for example 5200: the daily budget is shared out of it.")
    if value > MAX_MINOR:
        raise ValidationError(f"The {what} is larger than any household amount we accept; check the number.")
    return value


def check_family_name(name: str) -> str:
    normal = " ".join((name or "").split())
    if not normal:
        raise ValidationError("Give the family a name, for example 'The Smiths'.")
    if len(normal) > 80:
        raise ValidationError("Keep the family name under 80 characters.")
    return check_storable(normal, "family name")


@measure("families.create")
def create_family(
    engine: Engine,
    owner_id: int,
    *,
    name: str,
    currency: str,
    timezone: str,
    monthly_income: int,
    savings_goal: int,
    period_start_day: int,
    owner_display_name: str | None = None,
    locale: str | None = None,
) -> Family:
    """Create a family with the default categories; its creator becomes its first manager.
    ``locale`` (e.g. 'de_DE') is how its money and dates are written; None derives it from the currency."""
    name = check_family_name(name)
    currency = check_currency(currency)
    locale = check_locale(locale) if locale else None
    timezone = check_timezone(timezone)
    check_plan_amount(monthly_income, "monthly income", positive=True)
    check_plan_amount(savings_goal, "savings goal")
    check_start_day(period_start_day)
    with engine.connect() as conn, conn.begin():
        owner = conn.execute(text("SELECT display_name FROM users WHERE id = :u"), {"u": owner_id}).first()
        if owner is None:
            raise NotFound("That account does not exist.")
        display = check_display_name(owner_display_name or owner.display_name)
        # the id comes first so the transaction can act for the new family (row-level security)
        family_id = conn.execute(text("SELECT nextval(pg_get_serial_sequence('families', 'id'))")).scalar_one()
        scope(conn, family_id, owner_id)
        conn.execute(
            text(
                "INSERT INTO families (id, name, currency, timezone, monthly_income, savings_goal, "
                "period_start_day, locale, version) OVERRIDING SYSTEM VALUE VALUES (:id, :n, :c, :t, :i, :s, :d, :l, 1)"
            ),
            {
                "l": locale,
                "id": family_id,
                "n": name,
                "c": currency,
                "t": timezone,
                "i": monthly_income,
                "s": savings_goal,
                "d": period_start_day,
            },
        )
        conn.execute(
            text("INSERT INTO members (family_id, user_id, role, display_name) VALUES (:f, :u, 'manager', :n)"),
            {"f": family_id, "u": owner_id, "n": display},
        )
        for kind, names in DEFAULT_CATEGORIES.items():
            for category in names:
                conn.execute(
                    text("INSERT INTO categories (family_id, name, kind) VALUES (:f, :n, :k)"),
                    {"f": family_id, "n": category, "k": kind},
                )
        record_event(conn, family_id, 1, owner_id, "family.created", {"actor": display, "name": name})
    with engine.connect() as conn:
        notify_after_commit(conn, family_id, 1)
    return open_family(engine, owner_id, family_id).family


def my_families(engine: Engine, user_id: int) -> list[Membership]:
    with scoped(engine, None, user_id) as conn:
        rows = conn.execute(
            text(
                "SELECT f.id, f.name, m.role, m.display_name FROM members m JOIN families f ON f.id = m.family_id "
                "WHERE m.user_id = :u AND m.removed_at IS NULL ORDER BY f.name, f.id"
            ),
            {"u": user_id},
        ).all()
    return [Membership(*r) for r in rows]


PLAN_FIELDS = {
    "name": "family name",
    "monthly_income": "monthly income",
    "savings_goal": "savings goal",
    "period_start_day": "period start day",
    "currency": "currency",
    "timezone": "time zone",
    "big_expense_threshold": "big-expense alert",
    "locale": "way money and dates are written",
}


@measure("plan.update")
def update_plan(access: FamilyAccess, **changes) -> Family:
    """Change any of ``PLAN_FIELDS`` (managers only) and return the family as it is now; fields
    given with their current value are no change (no event, the version stays). Amounts are minor units.

    Changing the currency does not convert recorded amounts; it is meant for fixing a wrong
    choice early, and the event records it.
    """
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError(f"These are not parts of the plan: {', '.join(sorted(unknown))}.")
    checks: dict[str, Callable[[Any], Any]] = {
        "name": check_family_name,
        "monthly_income": lambda v: check_plan_amount(v, "monthly income", positive=True),
        "savings_goal": lambda v: check_plan_amount(v, "savings goal"),
        "period_start_day": check_start_day,
        "currency": check_currency,
        "timezone": check_timezone,
        "big_expense_threshold": lambda v: None if v is None else check_plan_amount(v, "big-expense alert"),
        "locale": lambda v: None if v is None else check_locale(v),
    }
    clean = {k: checks[k](v) for k, v in changes.items()}
    try:
        with family_write(access, role="manager", action="change the plan") as w:
            diff = {k: [w.family[k], v] for k, v in clean.items() if w.family[k] != v}
            if not diff:
                raise NothingToWrite(None)  # nothing changed: no event, no new version
            sets = ", ".join(f"{k} = :{k}" for k in diff)
            w.conn.execute(
                text(f"UPDATE families SET {sets} WHERE id = :f"),
                {**{k: v[1] for k, v in diff.items()}, "f": access.family_id},
            )
            currency = clean.get("currency", w.family["currency"])
            w.emit("plan.updated", {"actor": w.actor_name, "changes": diff, "currency": currency})
    except NothingToWrite:
        pass
    return open_family(access.engine, access.user_id, access.family_id).family


def list_fixed_expenses(access: FamilyAccess) -> list[FixedExpense]:
    with access.read() as conn:
        rows = conn.execute(
            text("SELECT id, name, amount FROM fixed_expenses WHERE family_id = :f ORDER BY id"),
            {"f": access.family_id},
        ).all()
    return [FixedExpense(*r) for r in rows]


def check_fixed_expense(name: str, amount: int) -> str:
    """The tidied name of a fixed expense of ``amount`` minor units; ValidationError if either is wrong."""
    clean_name = " ".join((name or "").split())
    if not clean_name or len(clean_name) > 80:
        raise ValidationError("Name the fixed expense (up to 80 characters), for example 'Rent'.")
    check_storable(clean_name, "name of the fixed expense")
    if check_plan_amount(amount, "fixed expense") == 0:
        raise ValidationError("A fixed expense must be more than zero.")
    return clean_name


def add_fixed_expense(
    access: FamilyAccess,
    name: str,
    amount: int,
    *,
    due_day: int | None = None,
    words: list[str] | None = None,
    category: int | str | None = None,
) -> FixedExpense:
    """Plan a fixed expense — a bill — of ``amount`` minor units a period (managers only), optionally
    due on a day of the month, recognised on statements by ``words`` (else by its name, and the
    words of its first payment are learned) and booked in a fixed ``category`` (else chosen by name)."""
    from .bills import check_bill_category, check_due_day, check_words

    clean_name = check_fixed_expense(name, amount)
    due = check_due_day(due_day)
    clean_words = check_words(words)
    with family_write(access, role="manager", action="change fixed expenses") as w:
        category_id = check_bill_category(w.conn, access.family_id, category)
        fid = w.conn.execute(
            text(
                "INSERT INTO fixed_expenses (family_id, name, amount, due_day, match_words, category_id) "
                "VALUES (:f, :n, :a, :d, :w, :c) RETURNING id"
            ),
            {"f": access.family_id, "n": clean_name, "a": amount, "d": due, "w": clean_words, "c": category_id},
        ).scalar_one()
        w.emit(
            "fixed.added",
            {"actor": w.actor_name, "name": clean_name, "amount": amount, "currency": w.family["currency"]},
        )
    return FixedExpense(fid, clean_name, amount)


def update_fixed_expense(access: FamilyAccess, fixed_id: int, name: str, amount: int) -> FixedExpense:
    """Change a planned fixed expense in place: its name and amount (minor units a period), managers only.
    Giving it its current name and amount writes nothing."""
    clean_name = check_fixed_expense(name, amount)
    try:
        with family_write(access, role="manager", action="change fixed expenses") as w:
            before = w.conn.execute(
                text("SELECT name, amount FROM fixed_expenses WHERE family_id = :f AND id = :i FOR UPDATE"),
                {"f": access.family_id, "i": fixed_id},
            ).first()
            if before is None:
                raise NotFound(f"This family has no fixed expense {fixed_id}; someone may have removed it.")
            if (before.name, before.amount) == (clean_name, amount):
                raise NothingToWrite(FixedExpense(fixed_id, clean_name, amount))
            w.conn.execute(
                text("UPDATE fixed_expenses SET name = :n, amount = :a WHERE family_id = :f AND id = :i"),
                {"n": clean_name, "a": amount, "f": access.family_id, "i": fixed_id},
            )
            w.emit(
                "fixed.changed",
                {
                    "actor": w.actor_name,
                    "name": clean_name,
                    "amount": amount,
                    "before": {"name": before.name, "amount": before.amount},
                    "currency": w.family["currency"],
                },
            )
    except NothingToWrite as same:
        return same.result
    return FixedExpense(fixed_id, clean_name, amount)


def remove_fixed_expense(access: FamilyAccess, fixed_id: int) -> None:
    with family_write(access, role="manager", action="change fixed expenses") as w:
        row = w.conn.execute(
            text("DELETE FROM fixed_expenses WHERE family_id = :f AND id = :i RETURNING name, amount"),
            {"f": access.family_id, "i": fixed_id},
        ).first()
        if row is None:
            raise NotFound(f"This family has no fixed expense {fixed_id}.")
        w.emit(
            "fixed.removed",
            {"actor": w.actor_name, "name": row.name, "amount": row.amount, "currency": w.family["currency"]},
        )


def carry_over_since(access: FamilyAccess) -> date | None:
    """The day carry-over was switched on (None: off)."""
    with access.read() as conn:
        return conn.execute(
            text("SELECT carry_over_since FROM families WHERE id = :f"), {"f": access.family_id}
        ).scalar()


def set_carry_over(access: FamilyAccess, on: bool, *, now=None) -> date | None:
    """Switch carry-over on (from the family's today: a running balance starts with what the
    previous period left) or off (each period starts from its plan again). Managers only; switching
    it on when it is on changes nothing. Returns the day it is on since, or None."""
    today = access.today(now)
    try:
        with family_write(access, role="manager", action="change the plan") as w:
            since = w.conn.execute(
                text("SELECT carry_over_since FROM families WHERE id = :f"), {"f": access.family_id}
            ).scalar()
            if (since is not None) == on:
                raise NothingToWrite(since)
            new = today if on else None
            w.conn.execute(
                text("UPDATE families SET carry_over_since = :d WHERE id = :f"), {"d": new, "f": access.family_id}
            )
            w.emit("plan.carry_over", {"actor": w.actor_name, "on": on, "since": new.isoformat() if new else None})
    except NothingToWrite as nothing:
        return nothing.result
    return new

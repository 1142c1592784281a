"""Recurring entries: schedules that post their transaction on each occurrence date, exactly once.

A schedule (amount, category, member, description; expense, refund or — with an income category —
income) repeats as :class:`budget_core.domain.schedule.Recurrence` says, in the family's time zone.
Each occurrence is posted by its own family write: the occurrence row (the key (schedule, date),
unique in the database, ``ON CONFLICT DO NOTHING``), the transaction (through the one writer, with a
``client_id`` derived from the key, unique too) and the event ("Pocket money $10.00 was added (every
Friday)") commit together or not at all — so two app processes, a retry or a restart never post one
twice, and occurrences missed while the server was down are posted on start, each dated on its day.

:func:`run_due` is the poster of every family (the app's background job and ``budget schedule run``):
one at a time across processes (a transaction-level Postgres advisory lock, which also works through
a transaction-mode pooler); it learns which families have something due from ``schedules_due``
(migration 0012), which reveals nothing of their money, and posts through each family's door.

Members add, change, skip and delete schedules (changes use ``row_version`` like transactions);
skipping an occurrence records it as skipped; posting early records it as posted today.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, Engine, text

from ..domain.money import decimal_string
from ..domain.schedule import Recurrence, when
from ..domain.storable import check_storable
from ..errors import Conflict, NotFound, PermissionDenied, ValidationError
from . import targets
from ._uow import NothingToWrite, family_write
from .access import FamilyAccess, open_family
from .categories import find_category
from .transactions import MAX_DAYS_AHEAD, NewRow, _check_amount, _check_description, write_rows

log = logging.getLogger(__name__)

POSTER_LOCK = 0x62756467_73636864  # 'budg' 'schd': the one poster of schedules at a time
_KEY_SPACE = uuid.UUID("6f0c7d36-6a4e-4c1b-9a59-3c2d1f0e5b7a")


@dataclass(frozen=True, slots=True)
class ScheduleDraft:
    """A schedule as a person states it. ``amount`` is positive minor units; ``day`` defaults to the
    start's weekday (weekly) or day of the month; ``member`` (a user id) defaults to the author."""

    amount: int
    description: str
    category: int | str
    every: str
    step: int = 1
    day: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    max_count: int | None = None
    refund: bool = False
    member: int | None = None
    month: int | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    id: int
    description: str
    amount: int  # positive minor units
    refund: bool
    category_id: int
    category: str
    kind: str
    user_id: int
    member: str
    recurrence: Recurrence
    bill_id: int | None
    next_on: date | None
    row_version: int

    @property
    def signed(self) -> int:
        return -self.amount if self.refund else self.amount

    def describe(self, locale: str = "en_US") -> str:
        return self.recurrence.describe(locale)

    def as_json(self, currency: str) -> dict:
        r = self.recurrence
        return {
            "id": self.id,
            "description": self.description,
            "amount": decimal_string(self.amount, currency),
            "refund": self.refund,
            "category": self.category,
            "member": self.member,
            "every": r.every,
            "interval": r.step,
            "day": r.day,
            "start": r.starts_on.isoformat(),
            "end": r.ends_on.isoformat() if r.ends_on else None,
            "count": r.max_count,
            "when": self.describe(),
            "next": self.next_on.isoformat() if self.next_on else None,
            "row_version": self.row_version,
        }


@dataclass(frozen=True, slots=True)
class Posted:
    schedule_id: int
    on_day: date
    transaction_id: int


_SELECT = (
    "SELECT s.id, s.description, s.amount, s.refund, s.category_id, "
    "CASE WHEN p.name IS NULL THEN c.name ELSE p.name || ' › ' || c.name END, c.kind, s.user_id, m.display_name, "
    "s.every, s.step, s.day, s.starts_on, s.month, s.ends_on, s.max_count, s.bill_id, s.next_on, s.row_version "
    "FROM schedules s JOIN categories c ON c.family_id = s.family_id AND c.id = s.category_id "
    "LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id "
    "JOIN members m ON m.family_id = s.family_id AND m.user_id = s.user_id WHERE s.family_id = :f"
)


def _schedule(r) -> Schedule:
    rec = Recurrence(r[9], r[10], r[11], r[12], r[13], r[14], r[15])
    return Schedule(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], rec, r[16], r[17], r[18])


def load_schedules(conn: Connection, family_id: int) -> list[Schedule]:
    return [
        _schedule(r) for r in conn.execute(text(_SELECT + " ORDER BY s.next_on NULLS LAST, s.id"), {"f": family_id})
    ]


def _get(conn: Connection, family_id: int, schedule_id: int, *, lock: bool = False) -> Schedule | None:
    sql = _SELECT + " AND s.id = :s" + (" FOR UPDATE OF s" if lock else "")
    row = conn.execute(text(sql), {"f": family_id, "s": schedule_id}).first()
    return _schedule(row) if row else None


def list_schedules(access: FamilyAccess) -> list[Schedule]:
    """The family's schedules, the next due first."""
    with access.read() as conn:
        return load_schedules(conn, access.family_id)


def _recurrence(draft: ScheduleDraft, today: date) -> Recurrence:
    start = draft.starts_on or today
    if draft.every not in ("week", "month", "year"):
        raise ValidationError(f"Repeat every week, month or year, not '{draft.every}'.")
    day = draft.day
    if day is None:
        day = start.isoweekday() if draft.every == "week" else start.day
    month = draft.month or (start.month if draft.every == "year" else None)
    return Recurrence(draft.every, draft.step, day, start, month, draft.ends_on, draft.max_count)


def _checked(conn: Connection, access: FamilyAccess, draft: ScheduleDraft, today: date):
    amount = _check_amount(draft.amount)
    description = check_storable(_check_description(draft.description), "description")
    rec = _recurrence(draft, today)
    if rec.starts_on > today + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError("That start is more than a year ahead; check it.")
    cat = find_category(conn, access.family_id, draft.category)
    if cat.archived:
        raise ValidationError(f"The category '{cat.label}' is archived; choose another one.")
    if draft.refund and cat.kind == "income":
        raise ValidationError("A refund goes against an expense category, not an income one.")
    member = draft.member or access.user_id
    ok = conn.execute(
        text("SELECT 1 FROM members WHERE family_id = :f AND user_id = :u AND removed_at IS NULL"),
        {"f": access.family_id, "u": member},
    ).first()
    if ok is None:
        raise ValidationError("A schedule posts for a current member of the family.")
    return amount, description, rec, cat, member


def _done_days(conn: Connection, family_id: int, schedule_id: int) -> set[date]:
    return set(
        conn.execute(
            text("SELECT on_day FROM schedule_occurrences WHERE family_id = :f AND schedule_id = :s"),
            {"f": family_id, "s": schedule_id},
        ).scalars()
    )


def _first_open(rec: Recurrence, done: set[date]) -> date | None:
    """The first occurrence neither posted nor skipped (None when the schedule is used up)."""
    for day in rec.dates():
        if day not in done:
            return day
    return None


def _refresh_next(conn: Connection, family_id: int, schedule_id: int, rec: Recurrence) -> date | None:
    nxt = _first_open(rec, _done_days(conn, family_id, schedule_id))
    conn.execute(
        text("UPDATE schedules SET next_on = :n WHERE family_id = :f AND id = :s"),
        {"n": nxt, "f": family_id, "s": schedule_id},
    )
    return nxt


def add_schedule(access: FamilyAccess, draft: ScheduleDraft, *, bill_id: int | None = None, now=None) -> Schedule:
    """Add a schedule; its first occurrence may be today or later (or earlier: missed ones post at once)."""
    today = access.today(now)
    with family_write(access, role="member", action="add schedules") as w:
        amount, description, rec, cat, member = _checked(w.conn, access, draft, today)
        sid = w.conn.execute(
            text(
                "INSERT INTO schedules (family_id, description, amount, refund, category_id, user_id, every, step, "
                "day, month, starts_on, ends_on, max_count, bill_id, next_on, created_by) VALUES (:f, :d, :a, :r, "
                ":c, :u, :e, :st, :day, :m, :s, :end, :n, :b, :next, :by) RETURNING id"
            ),
            {
                "f": access.family_id,
                "d": description,
                "a": amount,
                "r": draft.refund,
                "c": cat.id,
                "u": member,
                "e": rec.every,
                "st": rec.step,
                "day": rec.day,
                "m": rec.month,
                "s": rec.starts_on,
                "end": rec.ends_on,
                "n": rec.max_count,
                "b": bill_id,
                "next": _first_open(rec, set()),
                "by": access.user_id,
            },
        ).scalar_one()
        w.emit(
            "schedule.added",
            {
                "actor": w.actor_name,
                "id": sid,
                "description": description,
                "amount": -amount if draft.refund else amount,
                "currency": w.family["currency"],
                "when": rec.describe(),
            },
        )
        return _reread(w.conn, access.family_id, sid)


def _reread(conn: Connection, family_id: int, schedule_id: int) -> Schedule:
    found = _get(conn, family_id, schedule_id)
    assert found is not None  # written in this transaction
    return found


def _current(conn: Connection, family_id: int, schedule_id: int, row_version: int) -> Schedule:
    stored = _get(conn, family_id, schedule_id, lock=True)
    if stored is None:
        raise NotFound(f"This family has no schedule {schedule_id}; it may have been deleted.")
    if stored.row_version != row_version:
        raise Conflict(
            f"Someone changed this schedule while you were editing it (you saw version {row_version}, it is now "
            f"version {stored.row_version}). Review it, then make your change again.",
            expected_version=row_version,
            current_version=stored.row_version,
            current=stored,
        )
    return stored


def edit_schedule(
    access: FamilyAccess, schedule_id: int, row_version: int, draft: ScheduleDraft, *, now=None
) -> Schedule:
    """Replace a schedule if it is still at ``row_version`` (else Conflict). Occurrences already posted
    or skipped stay as they are; the next one follows the new rule."""
    today = access.today(now)
    with family_write(access, role="member", action="change schedules") as w:
        stored = _current(w.conn, access.family_id, schedule_id, row_version)
        amount, description, rec, cat, member = _checked(w.conn, access, draft, today)
        w.conn.execute(
            text(
                "UPDATE schedules SET description = :d, amount = :a, refund = :r, category_id = :c, user_id = :u, "
                "every = :e, step = :st, day = :day, month = :m, starts_on = :s, ends_on = :end, max_count = :n, "
                "row_version = row_version + 1 WHERE family_id = :f AND id = :id"
            ),
            {
                "d": description,
                "a": amount,
                "r": draft.refund,
                "c": cat.id,
                "u": member,
                "e": rec.every,
                "st": rec.step,
                "day": rec.day,
                "m": rec.month,
                "s": rec.starts_on,
                "end": rec.ends_on,
                "n": rec.max_count,
                "f": access.family_id,
                "id": schedule_id,
            },
        )
        _refresh_next(w.conn, access.family_id, schedule_id, rec)
        w.emit(
            "schedule.changed",
            {
                "actor": w.actor_name,
                "id": schedule_id,
                "description": description,
                "when": rec.describe(),
                "before": stored.describe(),
            },
        )
        return _reread(w.conn, access.family_id, schedule_id)


def delete_schedule(access: FamilyAccess, schedule_id: int, row_version: int) -> None:
    """Delete a schedule (its posted transactions stay) if it is still at ``row_version``."""
    with family_write(access, role="member", action="delete schedules") as w:
        stored = _current(w.conn, access.family_id, schedule_id, row_version)
        w.conn.execute(
            text("DELETE FROM schedules WHERE family_id = :f AND id = :s"), {"f": access.family_id, "s": schedule_id}
        )
        w.emit("schedule.deleted", {"actor": w.actor_name, "id": schedule_id, "description": stored.description})


def _occurrence(conn: Connection, family_id: int, schedule_id: int, on_day: date) -> Schedule:
    stored = _get(conn, family_id, schedule_id, lock=True)
    if stored is None:
        raise NotFound(f"This family has no schedule {schedule_id}; it may have been deleted.")
    if on_day not in stored.recurrence.between(on_day, on_day):
        raise ValidationError(f"{stored.description} does not fall on {on_day} ({stored.describe()}).")
    return stored


def skip_occurrence(access: FamilyAccess, schedule_id: int, on_day: date) -> bool:
    """Skip one occurrence (it will not post); False when it was already posted or skipped."""
    try:
        with family_write(access, role="member", action="skip scheduled entries") as w:
            stored = _occurrence(w.conn, access.family_id, schedule_id, on_day)
            done = w.conn.execute(
                text(
                    "INSERT INTO schedule_occurrences (family_id, schedule_id, on_day, outcome) "
                    "VALUES (:f, :s, :d, 'skipped') ON CONFLICT DO NOTHING RETURNING on_day"
                ),
                {"f": access.family_id, "s": schedule_id, "d": on_day},
            ).first()
            if done is None:
                raise NothingToWrite(False)
            _refresh_next(w.conn, access.family_id, schedule_id, stored.recurrence)
            w.emit(
                "schedule.skipped",
                {"actor": w.actor_name, "id": schedule_id, "description": stored.description, "on": on_day.isoformat()},
            )
    except NothingToWrite as nothing:
        return nothing.result
    return True


def _post(access: FamilyAccess, schedule_id: int, on_day: date, dated: date) -> Posted | None:
    """Post one occurrence in its own family write; None when it was posted or skipped already
    (by this or any other process), or no longer belongs to the schedule."""
    family_id = access.family_id
    try:
        with family_write(access, role="member", action="post scheduled entries") as w:
            stored = _get(w.conn, family_id, schedule_id, lock=True)
            if stored is None or on_day not in stored.recurrence.between(on_day, on_day):
                raise NothingToWrite(None)
            claimed = w.conn.execute(
                text(
                    "INSERT INTO schedule_occurrences (family_id, schedule_id, on_day, outcome) "
                    "VALUES (:f, :s, :d, 'posted') ON CONFLICT DO NOTHING RETURNING on_day"
                ),
                {"f": family_id, "s": schedule_id, "d": on_day},
            ).first()
            if claimed is None:
                raise NothingToWrite(None)
            kind = stored.kind
            amount = stored.signed
            client_id = uuid.uuid5(_KEY_SPACE, f"{family_id}:{schedule_id}:{on_day.isoformat()}")
            (tx_id,) = write_rows(
                w.conn,
                family_id,
                [
                    NewRow(
                        stored.user_id,
                        stored.category_id,
                        kind,
                        amount,
                        stored.description,
                        dated,
                        client_id=client_id,
                        bill_id=stored.bill_id if kind in ("fixed", "variable") and amount > 0 else None,
                    )
                ],
            ).values()
            w.conn.execute(
                text(
                    "UPDATE schedule_occurrences SET transaction_id = :t WHERE family_id = :f AND schedule_id = :s "
                    "AND on_day = :d"
                ),
                {"t": tx_id, "f": family_id, "s": schedule_id, "d": on_day},
            )
            _refresh_next(w.conn, family_id, schedule_id, stored.recurrence)
            crossed = targets.crossed(
                w.conn, family_id, [(stored.category_id, dated, amount)] if kind == "variable" else []
            )
            targets.notify(w.conn, family_id, w.family["currency"], crossed)
            payload = {
                "actor": stored.member,
                "id": tx_id,
                "amount": amount,
                "currency": w.family["currency"],
                "description": stored.description,
                "category": stored.category,
                "kind": "fixed" if stored.bill_id and kind in ("fixed", "variable") and amount > 0 else kind,
                "occurred_on": dated.isoformat(),
                "schedule": stored.describe(),
                "schedule_id": schedule_id,
                "scheduled_on": on_day.isoformat(),
            }
            if crossed:
                payload["targets"] = crossed
            w.emit("transaction.added", payload)
            return Posted(schedule_id, on_day, tx_id)
    except NothingToWrite:
        return None


def post_early(access: FamilyAccess, schedule_id: int, on_day: date, *, now=None) -> Posted | None:
    """Post a coming occurrence now, dated today; it will not post again on its day."""
    today = access.today(now)
    if on_day < today:
        raise ValidationError("That occurrence is not ahead any more; it posts by itself.")
    return _post(access, schedule_id, on_day, today)


def post_due(access: FamilyAccess, until: date | None = None, *, now=None) -> list[Posted]:
    """Post every occurrence of the family's schedules dated up to ``until`` (default: the family's
    today) that is neither posted nor skipped — each once, dated on its day."""
    today = access.today(now)
    until = until or today
    if until > today + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError("That date is more than a year ahead; check it.")
    with access.read() as conn:
        schedules = load_schedules(conn, access.family_id)
        done = {
            (s, d)
            for s, d in conn.execute(
                text("SELECT schedule_id, on_day FROM schedule_occurrences WHERE family_id = :f"),
                {"f": access.family_id},
            )
        }
    posted = []
    for s in schedules:
        if s.next_on is None or s.next_on > until:
            continue
        for day in s.recurrence.between(s.recurrence.starts_on, until):
            if (s.id, day) not in done:
                result = _post(access, s.id, day, day)
                if result is not None:
                    posted.append(result)
    return posted


@dataclass(frozen=True, slots=True)
class RunReport:
    """One run of the poster across families: what it posted, or that another poster was running."""

    posted: list[Posted]
    families: int
    busy: bool = False
    failed: tuple[str, ...] = ()


def run_due(engine: Engine, until: date | None = None) -> RunReport:
    """Post every family's due occurrences (the app's background job, ``budget schedule run``).

    Only one poster runs at a time across processes (``pg_try_advisory_xact_lock`` held by this
    call's own transaction): a second one returns at once with ``busy``. Occurrences are exactly
    once even without the lock — that is the occurrence key's job; the lock only saves the work.
    A family that fails (e.g. its poster member lost the right) is reported and the others go on.
    """
    with engine.connect() as lock_conn:
        with lock_conn.begin():
            got = lock_conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": POSTER_LOCK}).scalar()
            if not got:
                return RunReport([], 0, busy=True)
            due = lock_conn.execute(text("SELECT family_id, user_id FROM schedules_due(:u)"), {"u": until}).all()
            posted: list[Posted] = []
            failed: list[str] = []
            for family_id, user_id in due:
                try:
                    posted += post_due(open_family(engine, user_id, family_id), until)
                except (PermissionDenied, ValidationError, NotFound) as err:
                    failed.append(f"family {family_id}: {err.message}")
                    log.warning("schedules of family %s not posted: %s", family_id, err.message)
            return RunReport(posted, len(due), failed=tuple(failed))


@dataclass(frozen=True, slots=True)
class Upcoming:
    schedule: Schedule
    on_day: date

    def phrase(self, currency: str, today: date, locale: str | None = None) -> str:
        """'Pocket money $10.00 on Friday', money and date in ``locale``'s way (None: the currency's own)."""
        from ..domain.locale import default_locale
        from ..domain.money import format_money

        locale = locale or default_locale(currency)
        amount = format_money(self.schedule.amount, currency, locale)
        return f"{self.schedule.description} {amount} {when(self.on_day, today, locale)}"


def upcoming(access: FamilyAccess, days: int = 7, *, now=None) -> list[Upcoming]:
    """Occurrences from today through the next ``days`` days not posted or skipped yet, soonest first."""
    today = access.today(now)
    last = today + timedelta(days=days)
    out = []
    with access.read() as conn:
        schedules = load_schedules(conn, access.family_id)
        done = {
            (s, d)
            for s, d in conn.execute(
                text("SELECT schedule_id, on_day FROM schedule_occurrences WHERE family_id = :f AND on_day >= :t"),
                {"f": access.family_id, "t": today},
            )
        }
    for s in schedules:
        for day in s.recurrence.between(today, last):
            if (s.id, day) not in done:
                out.append(Upcoming(s, day))
    return sorted(out, key=lambda u: (u.on_day, u.schedule.description))


def schedule_bill(access: FamilyAccess, bill_id: int, *, now=None) -> Schedule:
    """Let a bill post itself on its due day every month (managers): a schedule of its amount in its
    category, linked to it."""
    from .bills import bill_category_id, load_bills

    access.require("manager", "change bills")
    with access.read() as conn:
        bill = next((b for b in load_bills(conn, access.family_id) if b.id == bill_id), None)
        if bill is None:
            raise NotFound(f"This family has no bill {bill_id}.")
        if bill.due_day is None:
            raise ValidationError(f"Give {bill.name} a due day first; it posts itself on that day.")
        category_id = bill_category_id(conn, access.family_id, bill, create=False)
    if category_id is None:
        raise ValidationError("Add a fixed category (e.g. Housing) for the bill's payments first.")
    today = access.today(now)
    return add_schedule(
        access,
        ScheduleDraft(bill.amount, bill.name, category_id, "month", 1, bill.due_day, today),
        bill_id=bill.id,
        now=now,
    )

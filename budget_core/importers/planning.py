"""Planning an import: each bank row's fate against the family's stored rows, with its category
and member.

A row is
- a **duplicate** when its import id was imported before (added or linked, even if the
  transaction was deleted since), appears twice in the file, or — for OFX, whose banks sometimes
  renumber FITIDs — has the content of an earlier imported row of the same account that this file
  does not contain under its old id;
- **linked** when a transaction typed by hand has the same amount within 3 days of it and is not
  linked yet (closest date first): the typed one is kept, the bank row is remembered and listed
  for review (:mod:`.links`);
- **new** otherwise: added with the category of the person's correction, else of the first
  matching rule, else "Uncategorized" (money out) or "Other income" (money in), created if needed.

Signs: the bank's negative amounts are expenses (stored positive); positive ones are income
in an income category, or refunds (stored negative) in any other category. Everything here runs
on the caller's connection, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Connection, text

from ..errors import ValidationError
from ..services.transactions import MAX_DAYS_AHEAD
from . import Statement, StatementRow
from .rules import RuleBook, RuleMatches, load_rules, match_descriptions

LINK_DAYS = 3
UNCATEGORIZED = ("Uncategorized", "variable")
OTHER_INCOME = ("Other income", "income")


@dataclass(frozen=True, slots=True)
class Corrections:
    """The person's corrections to a preview, by import id: ``categories`` → category id,
    ``members`` → the member's user id (rows not named keep the rules' or the default choice)."""

    categories: Mapping[str, int] = field(default_factory=dict)
    members: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlannedRow:
    """What importing one bank row does. ``amount`` is as it will be stored (expense > 0, refund < 0)."""

    row: StatementRow
    status: str  # "new" | "duplicate" | "linked"
    reason: str
    category_id: int | None
    category: str
    kind: str
    user_id: int
    amount: int
    rule_id: int | None = None
    transaction_id: int | None = None

    def as_json(self) -> dict:
        r = self.row
        return {
            "line": r.line,
            "date": r.occurred_on.isoformat(),
            "bank_amount": r.amount,
            "description": r.description,
            "status": self.status,
            "reason": self.reason,
            "category": self.category,
            "category_id": self.category_id,
            "amount": self.amount,
            "rule_id": self.rule_id,
            "transaction_id": self.transaction_id,
            "import_id": r.import_id,
        }


def _where(statement: Statement, row: StatementRow) -> str:
    return f"Line {row.line}" if statement.format == "csv" else f"Transaction {row.line}"


@dataclass
class _Categories:
    by_id: dict[int, tuple[str, str]]  # id -> (label, kind), live categories
    uncategorized: int | None
    other_income: int | None


def _categories(conn: Connection, family_id: int) -> _Categories:
    rows = conn.execute(
        text(
            "SELECT c.id, CASE WHEN p.name IS NULL THEN c.name ELSE p.name || ' › ' || c.name END, c.kind, c.name "
            "FROM categories c LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id "
            "WHERE c.family_id = :f AND c.archived_at IS NULL ORDER BY c.parent_id NULLS FIRST, c.id"
        ),
        {"f": family_id},
    ).all()
    by_id = {i: (label, kind) for i, label, kind, _ in rows}
    uncat = next((i for i, _, k, n in rows if n.casefold() == "uncategorized" and k == "variable"), None)
    income = next((i for i, _, k, n in rows if n.casefold() == "other income" and k == "income"), None)
    if income is None:
        income = next((i for i, _, k, _ in rows if k == "income"), None)
    return _Categories(by_id, uncat, income)


def _hand_typed(conn: Connection, family_id: int, rows: list[StatementRow]) -> dict[int, list[tuple]]:
    """Unlinked transactions typed by hand near the file's dates, by the bank amount they correspond to."""
    if not rows:
        return {}
    lo = min(r.occurred_on for r in rows) - timedelta(days=LINK_DAYS)
    hi = max(r.occurred_on for r in rows) + timedelta(days=LINK_DAYS)
    found = conn.execute(
        text(
            "SELECT t.id, t.amount, t.kind, t.occurred_on FROM transactions t "
            "WHERE t.family_id = :f AND t.import_id IS NULL AND t.occurred_on BETWEEN :lo AND :hi "
            "AND NOT EXISTS (SELECT 1 FROM imported_rows i WHERE i.family_id = t.family_id AND i.transaction_id = t.id) "
            "ORDER BY t.id"
        ),
        {"f": family_id, "lo": lo, "hi": hi},
    ).all()
    by_amount: dict[int, list[tuple]] = {}
    for tx_id, amount, kind, on in found:
        bank_amount = amount if kind == "income" else -amount
        by_amount.setdefault(bank_amount, []).append((on, tx_id))
    return by_amount


def _take_link(candidates: list[tuple] | None, on: date) -> int | None:
    if not candidates:
        return None
    best = min((abs((d - on).days), tx_id) for d, tx_id in candidates)
    if best[0] > LINK_DAYS:
        return None
    candidates[:] = [c for c in candidates if c[1] != best[1]]
    return best[1]


def plan_rows(
    conn: Connection,
    family_id: int,
    actor_id: int,
    statement: Statement,
    corrections: Corrections,
    today: date,
    *,
    create_defaults: bool = False,
    matches: RuleMatches | None = None,
) -> list[PlannedRow]:
    """Decide every row's fate against the family's stored rows.

    With ``create_defaults`` (inside the import's write transaction) a missing "Uncategorized" or
    "Other income" category is created when a new row needs it; otherwise it is shown by name.
    Duplicates are not categorised: they were imported before. ``matches`` are the rules' verdicts
    worked out before the transaction (the import's, so no rule runs under the write lock); without
    them the rules are matched here, within the time limit (the preview, which takes no lock).
    RulesChanged when ``matches`` were made against other rules than the family has now.
    """
    rows = statement.rows
    for row in rows:
        if row.occurred_on > today + timedelta(days=MAX_DAYS_AHEAD) or row.occurred_on.year < 1970:
            raise ValidationError(
                f"{_where(statement, row)}: the date {row.occurred_on} is not plausible; check the file's date column."
            )
    ids = [r.import_id for r in rows]
    known = set(
        conn.execute(
            text("SELECT import_id FROM imported_rows WHERE family_id = :f AND import_id = ANY(:ids)"),
            {"f": family_id, "ids": ids},
        ).scalars()
    )
    renumbered: set[tuple[str, str]] = set()
    if statement.format == "ofx":
        unknown = [r for r in rows if r.import_id not in known]
        if unknown:
            renumbered = {
                tuple(x)
                for x in conn.execute(
                    text(
                        "SELECT account, content_key FROM imported_rows WHERE family_id = :f AND import_id LIKE 'ofx:%' "
                        "AND account = ANY(:accounts) AND content_key = ANY(:keys) AND NOT (import_id = ANY(:ids))"
                    ),
                    {
                        "f": family_id,
                        "accounts": sorted({r.account for r in unknown}),
                        "keys": [r.content_key for r in unknown],
                        "ids": ids,
                    },
                ).all()
            }
    cats = _categories(conn, family_id)
    rules = load_rules(conn, family_id)
    if matches is None:
        matches = match_descriptions(
            ((r.pattern, r.is_regex) for r in sorted(rules, key=lambda r: (r.position, r.id))),
            (r.description for r in rows),
        )
    members = set(
        conn.execute(
            text("SELECT user_id FROM members WHERE family_id = :f AND removed_at IS NULL"), {"f": family_id}
        ).scalars()
    )
    typed = _hand_typed(conn, family_id, [r for r in rows if r.import_id not in known])
    default = _DefaultCategories(conn, family_id, cats, create_defaults)
    seen: set[str] = set()
    planned = []
    for row in rows:
        if row.import_id in known:
            reason = "imported before"
        elif row.import_id in seen:
            reason = "twice in this file with the same bank id"
        elif (row.account, row.content_key) in renumbered:
            reason = "imported before under another bank id"
        else:
            reason = None
        seen.add(row.import_id)
        if reason is not None:
            planned.append(PlannedRow(row, "duplicate", reason, None, "", "", actor_id, 0))
            continue
        category_id, rule_id, user_id = None, None, actor_id
        corrected = corrections.categories.get(row.import_id)
        if corrected is not None:
            if corrected not in cats.by_id:
                raise ValidationError(
                    f"{_where(statement, row)}: category {corrected} is not a live category of this family."
                )
            category_id = corrected
        else:
            rule = matches.rule_for(rules, row.description)
            if rule is not None:
                category_id, rule_id = rule.category_id, rule.id
                user_id = rule.user_id if rule.user_id in members else actor_id
        if corrections.members.get(row.import_id) in members:
            user_id = corrections.members[row.import_id]
        if category_id is None:
            category_id, label, kind = default.for_amount(row.amount)
        else:
            label, kind = cats.by_id[category_id]
        stored = row.amount if kind == "income" else -row.amount
        link = _take_link(typed.get(row.amount), row.occurred_on)
        status, why = ("linked", "matches a transaction typed by hand") if link else ("new", "")
        planned.append(PlannedRow(row, status, why, category_id, label, kind, user_id, stored, rule_id, link))
    return planned


class _DefaultCategories:
    """ "Uncategorized" for money out, "Other income" for money in; created on first need if allowed."""

    def __init__(self, conn: Connection, family_id: int, cats: _Categories, create: bool):
        self.conn, self.family_id, self.cats, self.create = conn, family_id, cats, create

    def for_amount(self, bank_amount: int) -> tuple[int | None, str, str]:
        name, kind = UNCATEGORIZED if bank_amount < 0 else OTHER_INCOME
        existing = self.cats.uncategorized if bank_amount < 0 else self.cats.other_income
        if existing is not None:
            return (existing, *self.cats.by_id[existing])
        if not self.create:
            return None, name, kind
        new_id = self.conn.execute(
            text("INSERT INTO categories (family_id, name, kind) VALUES (:f, :n, :k) RETURNING id"),
            {"f": self.family_id, "n": name, "k": kind},
        ).scalar_one()
        self.cats.by_id[new_id] = (name, kind)
        if bank_amount < 0:
            self.cats.uncategorized = new_id
        else:
            self.cats.other_income = new_id
        return new_id, name, kind


def categorise_alone(conn: Connection, family_id: int, actor_id: int, row: StatementRow) -> tuple[int, str, str, int]:
    """``(category id, label, kind, user id)`` of a bank row added on its own: the first matching
    rule's category and member, else "Uncategorized" / "Other income" (created if missing)."""
    cats = _categories(conn, family_id)
    rule = RuleBook(load_rules(conn, family_id)).first_match(row.description)
    if rule is not None:
        category_id, (label, kind) = rule.category_id, cats.by_id[rule.category_id]
    else:
        category_id, label, kind = _DefaultCategories(conn, family_id, cats, True).for_amount(row.amount)
    user_id = rule.user_id if rule and rule.user_id else actor_id
    return category_id, label, kind, user_id

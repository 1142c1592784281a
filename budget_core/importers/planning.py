"""Planning an import: each bank row's fate against the family's stored rows, with its category,
its bill and its member.

A row is
- a **duplicate** when its import id was imported before (added or linked, even if the
  transaction was deleted since), appears twice in the file, or — for OFX, whose banks sometimes
  renumber FITIDs — has the content of an earlier imported row of the same account that this file
  does not contain under its old id; or when the same bank row was imported before in **another
  layout** of the account (another bank profile, other columns, another date format): the same
  date, signed amount and description (compared without case, punctuation and accents), counted
  so that genuine same-day twins stay as many as the bank wrote;
- **new, but maybe a duplicate** (``ask``) when an earlier import of another layout holds a row of
  the same date and amount whose description only resembles this one: the preview asks
  (``Corrections.skip``) instead of dropping it;
- **linked** when a transaction typed by hand has the same amount within 3 days of it, is not
  linked yet and is plausibly the same purchase (its description names the same merchant, it is in
  the category the row would get, or the row's category is unknown) — closest date first: the typed
  one is kept, the bank row is remembered and listed for review (:mod:`.links`);
- **new** otherwise, categorised by :mod:`.suggest` (correction, bill, rule, history, built-in list,
  else "needs a category").

Signs: the bank's negative amounts are expenses (stored positive); positive ones are income
in an income category, or refunds (stored negative) in any other category. Everything here runs
on the caller's connection, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Connection, text

from ..domain.locale import month_day
from ..domain.merchants import fold, merchant_key
from ..errors import ValidationError
from ..services.transactions import MAX_DAYS_AHEAD
from . import Statement, StatementRow
from .rules import RuleMatches, load_rules, match_descriptions
from .suggest import NEEDS_CATEGORY, OTHER_INCOME, UNCATEGORIZED, Suggester

__all__ = ["Corrections", "PlannedRow", "plan_rows", "categorise_alone", "UNCATEGORIZED", "OTHER_INCOME"]

LINK_DAYS = 3


@dataclass(frozen=True, slots=True)
class Corrections:
    """The person's corrections to a preview, by import id: ``categories`` → category id,
    ``members`` → the member's user id (rows not named keep the rules' or the default choice),
    ``skip``: rows the preview flagged as maybe imported before that the person says to leave out."""

    categories: Mapping[str, int] = field(default_factory=dict)
    members: Mapping[str, int] = field(default_factory=dict)
    skip: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class LinkedTo:
    """The transaction typed by hand that a bank row is linked to: who, what, when."""

    id: int
    member: str
    description: str
    occurred_on: date
    amount: int

    def describe(self, locale: str = "en_US") -> str:
        """ "Dad's 'Coffee' on Nov 16", the date in ``locale``'s short form."""
        return f"{self.member}'s '{self.description}' on {month_day(self.occurred_on, locale)}"


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
    why: str = ""  # why this category: "from your rule", "like last time", "supermarket", "needs a category"…
    bill_id: int | None = None
    bill: str | None = None
    linked_to: LinkedTo | None = None
    ask: str | None = None  # "maybe imported before as …": the preview asks

    @property
    def needs_category(self) -> bool:
        return self.status == "new" and self.why == NEEDS_CATEGORY

    @property
    def is_refund(self) -> bool:
        return self.amount < 0 and self.kind != "income"

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
            "kind": self.kind,
            "amount": self.amount,
            "refund": self.is_refund,
            "why": self.why,
            "needs_category": self.needs_category,
            "bill_id": self.bill_id,
            "bill": self.bill,
            "rule_id": self.rule_id,
            "transaction_id": self.transaction_id,
            "linked_to": self.linked_to.describe() if self.linked_to else None,
            "ask": self.ask,
            "import_id": r.import_id,
        }


def _where(statement: Statement, row: StatementRow) -> str:
    return f"Line {row.line}" if statement.format == "csv" else f"Transaction {row.line}"


def same_text(description: str) -> str:
    """A description as compared across layouts: case, accents, punctuation and spacing ignored."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in fold(description)).split())


def _accounts_may_match(a: str, b: str) -> bool:
    """Two rows may be one bank row when their accounts are the same or one of them is only known
    by its layout (a CSV without an account column or name: ``layout-…``)."""
    return a == b or a.startswith("layout-") or b.startswith("layout-")


class _OtherLayouts:
    """Rows imported before from other layouts of possibly the same account, near the file's dates."""

    def __init__(self, conn: Connection, family_id: int, rows: list[StatementRow]):
        self.exact: dict[tuple, list[str]] = {}  # (date, amount, same_text) -> file names, one per stored row
        self.near: dict[tuple, list[tuple[str, str]]] = {}  # (date, amount) -> (description, file)
        if not rows:
            return
        found = conn.execute(
            text(
                "SELECT account, occurred_on, amount, description, file_name FROM imported_rows "
                "WHERE family_id = :f AND occurred_on BETWEEN :lo AND :hi AND amount = ANY(:amounts) "
                "AND NOT (account = ANY(:accounts))"
            ),
            {
                "f": family_id,
                "lo": min(r.occurred_on for r in rows),
                "hi": max(r.occurred_on for r in rows),
                "amounts": sorted({r.amount for r in rows}),
                "accounts": sorted({r.account for r in rows}),
            },
        ).all()
        accounts = {r.account for r in rows}
        for account, on, amount, description, file_name in found:
            if not any(_accounts_may_match(account, mine) for mine in accounts):
                continue
            self.exact.setdefault((on, amount, same_text(description)), []).append(file_name)
            self.near.setdefault((on, amount), []).append((description, file_name))

    def take_exact(self, row: StatementRow) -> str | None:
        """The file an identical row came from (each stored row answers one row of this file)."""
        files = self.exact.get((row.occurred_on, row.amount, same_text(row.description)))
        return files.pop(0) if files else None

    def resembling(self, row: StatementRow) -> str | None:
        mine, key = same_text(row.description), merchant_key(row.description)
        for description, file_name in self.near.get((row.occurred_on, row.amount), []):
            theirs = same_text(description)
            if (key and key == merchant_key(description)) or (mine and theirs and (mine in theirs or theirs in mine)):
                return f"maybe imported before from {file_name} as '{description}'"
        return None


@dataclass
class _Typed:
    id: int
    amount: int
    kind: str
    occurred_on: date
    description: str
    category_id: int
    member: str
    bill_id: int | None


def _hand_typed(conn: Connection, family_id: int, rows: list[StatementRow]) -> dict[int, list[_Typed]]:
    """Unlinked transactions typed by hand near the file's dates, by the bank amount they correspond to."""
    if not rows:
        return {}
    lo = min(r.occurred_on for r in rows) - timedelta(days=LINK_DAYS)
    hi = max(r.occurred_on for r in rows) + timedelta(days=LINK_DAYS)
    found = conn.execute(
        text(
            "SELECT t.id, t.amount, t.kind, t.occurred_on, t.description, t.category_id, m.display_name, t.bill_id "
            "FROM transactions t JOIN members m ON m.family_id = t.family_id AND m.user_id = t.user_id "
            "WHERE t.family_id = :f AND t.import_id IS NULL AND t.occurred_on BETWEEN :lo AND :hi "
            "AND NOT EXISTS (SELECT 1 FROM imported_rows i WHERE i.family_id = t.family_id AND i.transaction_id = t.id) "
            "ORDER BY t.id"
        ),
        {"f": family_id, "lo": lo, "hi": hi},
    ).all()
    by_amount: dict[int, list[_Typed]] = {}
    for r in found:
        typed = _Typed(*r)
        bank_amount = typed.amount if typed.kind == "income" else -typed.amount
        by_amount.setdefault(bank_amount, []).append(typed)
    return by_amount


def _same_purchase(
    typed: _Typed, row: StatementRow, category_id: int | None, bill_id: int | None, unsure: bool
) -> bool:
    """A typed entry of the right amount and date is this bank row if it plausibly is the same thing."""
    if bill_id is not None and typed.bill_id == bill_id:
        return True
    mine, theirs = set(merchant_key(row.description).split()), set(merchant_key(typed.description).split())
    if mine & theirs:
        return True
    return typed.category_id == category_id or unsure


def _take_link(candidates: list[_Typed] | None, row: StatementRow, category_id, bill_id, unsure: bool) -> _Typed | None:
    if not candidates:
        return None
    fitting = [
        t
        for t in candidates
        if abs((t.occurred_on - row.occurred_on).days) <= LINK_DAYS
        and _same_purchase(t, row, category_id, bill_id, unsure)
    ]
    if not fitting:
        return None
    best = min(fitting, key=lambda t: (abs((t.occurred_on - row.occurred_on).days), t.id))
    candidates.remove(best)
    return best


def _bills_paid(conn: Connection, family_id: int, rows: list[StatementRow]) -> dict[int, tuple[int, str]]:
    """Row index → (bill id, how it matched) for the rows that pay a planned bill (``bill_matches``)."""
    out = [(i, r) for i, r in enumerate(rows) if r.amount < 0]
    if not out:
        return {}
    found = conn.execute(
        text("SELECT ord, bill_id, how FROM bill_matches(:f, :d, :a, :o)"),
        {
            "f": family_id,
            "d": [r.description for _, r in out],
            "a": [-r.amount for _, r in out],
            "o": [r.occurred_on for _, r in out],
        },
    ).all()
    return {out[ord_ - 1][0]: (bill_id, how) for ord_, bill_id, how in found}


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

    With ``create_defaults`` (inside the import's write transaction) a missing "Uncategorized",
    "Other income" or "Bills" category is created when a new row needs it; otherwise it is shown
    by name. Duplicates are not categorised: they were imported before.
    ``matches`` are the rules' verdicts worked out before the transaction (the import's, so no rule
    runs under the write lock); without them the rules are matched here, within the time limit (the
    preview, which takes no lock). RulesChanged when ``matches`` were made against other rules than
    the family has now.
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
    unknown = [r for r in rows if r.import_id not in known]
    renumbered: set[tuple[str, str]] = set()
    if statement.format == "ofx" and unknown:
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
    others = _OtherLayouts(conn, family_id, unknown)
    if matches is None:
        matches = match_descriptions(
            ((r.pattern, r.is_regex) for r in sorted(load_rules(conn, family_id), key=lambda r: (r.position, r.id))),
            (r.description for r in rows),
        )
    suggester = Suggester(conn, family_id, today, create=create_defaults, matches=matches)
    cats = suggester.cats
    members = set(
        conn.execute(
            text("SELECT user_id FROM members WHERE family_id = :f AND removed_at IS NULL"), {"f": family_id}
        ).scalars()
    )
    typed = _hand_typed(conn, family_id, unknown)
    bills = _bills_paid(conn, family_id, rows)
    seen: set[str] = set()
    planned = []
    for index, row in enumerate(rows):
        reason = None
        if row.import_id in known:
            reason = "imported before"
        elif row.import_id in seen:
            reason = "twice in this file with the same bank id"
        elif (row.account, row.content_key) in renumbered:
            reason = "imported before under another bank id"
        else:
            earlier = others.take_exact(row)
            if earlier is not None:
                reason = f"imported before from {earlier} (another layout of the account)"
        seen.add(row.import_id)
        ask = None if reason else others.resembling(row)
        if reason is None and ask and row.import_id in corrections.skip:
            reason = "left out: " + ask
        if reason is not None:
            planned.append(PlannedRow(row, "duplicate", reason, None, "", "", actor_id, 0))
            continue
        corrected = corrections.categories.get(row.import_id)
        if corrected is not None and corrected not in cats.by_id:
            raise ValidationError(
                f"{_where(statement, row)}: category {corrected} is not a live category of this family."
            )
        bill_id = bills.get(index, (None, None))[0]
        pick = suggester.suggest(row.description, row.amount, corrected=corrected, bill_id=bill_id)
        user_id: int = pick.user_id if pick.user_id is not None and pick.user_id in members else actor_id
        if corrections.members.get(row.import_id) in members:
            user_id = corrections.members[row.import_id]
        stored = row.amount if pick.kind == "income" else -row.amount
        link = _take_link(typed.get(row.amount), row, pick.category_id, pick.bill_id, pick.needs_category)
        if link is not None:
            planned.append(
                PlannedRow(
                    row,
                    "linked",
                    "matches a transaction typed by hand",
                    pick.category_id,
                    pick.label,
                    pick.kind,
                    user_id,
                    stored,
                    pick.rule_id,
                    link.id,
                    pick.reason,
                    linked_to=LinkedTo(link.id, link.member, link.description, link.occurred_on, link.amount),
                )
            )
            continue
        planned.append(
            PlannedRow(
                row,
                "new",
                "",
                pick.category_id,
                pick.label,
                pick.kind,
                user_id,
                stored,
                pick.rule_id,
                None,
                pick.reason,
                pick.bill_id,
                pick.bill,
                ask=ask,
            )
        )
    return planned


def categorise_alone(conn: Connection, family_id: int, actor_id: int, row: StatementRow) -> tuple[int, str, str, int]:
    """``(category id, label, kind, user id)`` of a bank row added on its own (after an unlink): the
    same suggestion an import makes (rules, history, built-in list, else the defaults)."""
    suggester = Suggester(conn, family_id, row.occurred_on, create=True)
    pick = suggester.suggest(row.description, row.amount, corrected=None, bill_id=None)
    if pick.category_id is None:  # create=True makes the default category when it is missing
        raise RuntimeError(f"bank row {row.import_id} got no category")
    return pick.category_id, pick.label, pick.kind, pick.user_id or actor_id

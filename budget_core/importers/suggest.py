"""A bank row's category, suggested in order — and why, in the words the preview shows.

1. the person's correction ("your choice");
2. money out that pays a planned bill (``bill_matches``, migration 0011): the bill's fixed category
   ("pays the bill Rent");
3. the family's rules ("from your rule");
4. money in: salary-like credits stay income ("looks like salary"); a credit from a merchant the
   family bought from before is a refund in that purchase's category ("refund of an earlier
   purchase"), as is one that says "refund" of a merchant the built-in list knows;
5. the family's own history for the same merchant (:func:`merchant_key`; "like last time");
6. the built-in list of common merchants and keywords (``budget_core/data/merchants.tsv``;
   "supermarket", "fuel" …);
7. else "Uncategorized" (money out, counted as everyday spending until someone decides) or "Other
   income" (money in): "needs a category".

Everything runs on the caller's connection (inside its transaction); nothing here writes except
:meth:`Categories.default`, which creates a missing "Uncategorized" / "Other income" / "Bills"
category when allowed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, text

from ..domain.merchants import builtin_suggestion, looks_like_salary, merchant_key, says_refund
from ..services.bills import Bill, bill_category_id, load_bills
from .rules import MATCH_SECONDS, RuleBook, RuleMatches, load_rules

UNCATEGORIZED = ("Uncategorized", "variable")
OTHER_INCOME = ("Other income", "income")
BILLS = ("Bills", "fixed")
HISTORY_DAYS = 730

YOUR_CHOICE = "your choice"
FROM_RULE = "from your rule"
LIKE_LAST_TIME = "like last time"
SALARY = "looks like salary"
REFUND = "refund of an earlier purchase"
NEEDS_CATEGORY = "needs a category"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The category a row gets, why, and (for a bill payment) the bill; ``refund`` for money in
    booked against an expense category."""

    category_id: int | None
    label: str
    kind: str
    reason: str
    user_id: int | None = None  # a rule's member
    rule_id: int | None = None
    bill_id: int | None = None
    bill: str | None = None

    @property
    def needs_category(self) -> bool:
        return self.reason == NEEDS_CATEGORY


class Categories:
    """A family's live categories by id, by lower-case name, and the defaults ("Uncategorized"…)."""

    def __init__(self, conn: Connection, family_id: int, *, create: bool):
        self.conn, self.family_id, self.create = conn, family_id, create
        rows = conn.execute(
            text(
                "SELECT c.id, CASE WHEN p.name IS NULL THEN c.name ELSE p.name || ' › ' || c.name END, c.kind, c.name "
                "FROM categories c LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id "
                "WHERE c.family_id = :f AND c.archived_at IS NULL ORDER BY c.parent_id NULLS FIRST, c.id"
            ),
            {"f": family_id},
        ).all()
        self.by_id: dict[int, tuple[str, str]] = {i: (label, kind) for i, label, kind, _ in rows}
        self.by_name: dict[str, int] = {}
        for i, _, _, name in rows:
            self.by_name.setdefault(name.casefold(), i)

    def named(self, names: tuple[str, ...], kinds: tuple[str, ...]) -> int | None:
        """The first of ``names`` the family has with one of ``kinds``."""
        for name in names:
            cid = self.by_name.get(name.casefold())
            if cid is not None and self.by_id[cid][1] in kinds:
                return cid
        return None

    def default(self, name: str, kind: str) -> tuple[int | None, str, str]:
        """``(id, label, kind)`` of the default category ``name`` (created on first need if allowed;
        an income default falls back to any income category)."""
        existing = self.named((name,), (kind,))
        if existing is None and kind == "income":
            existing = next((i for i, (_, k) in self.by_id.items() if k == "income"), None)
        if existing is None and kind == "fixed" and name == BILLS[0]:
            existing = next((i for i, (_, k) in self.by_id.items() if k == "fixed"), None)
        if existing is not None:
            return (existing, *self.by_id[existing])
        if not self.create:
            return None, name, kind
        new_id = self.conn.execute(
            text("INSERT INTO categories (family_id, name, kind) VALUES (:f, :n, :k) RETURNING id"),
            {"f": self.family_id, "n": name, "k": kind},
        ).scalar_one()
        self.by_id[new_id] = (name, kind)
        self.by_name[name.casefold()] = new_id
        return new_id, name, kind

    def is_default(self, category_id: int) -> bool:
        label, kind = self.by_id.get(category_id, ("", ""))
        return (label.casefold(), kind) in {(UNCATEGORIZED[0].casefold(), "variable"), ("other income", "income")}


class History:
    """The family's own choices by merchant over the last two years: the latest category of each
    merchant's expenses and income, and the merchants it bought from (for refunds)."""

    def __init__(self, conn: Connection, family_id: int, today: date, cats: Categories):
        rows = conn.execute(
            text(
                "SELECT t.description, t.category_id, t.kind, t.amount > 0, max(t.occurred_on) FROM transactions t "
                "WHERE t.family_id = :f AND t.occurred_on >= :since GROUP BY 1, 2, 3, 4"
            ),
            {"f": family_id, "since": today - timedelta(days=HISTORY_DAYS)},
        ).all()
        self.spent: dict[str, tuple[date, int]] = {}
        self.received: dict[str, tuple[date, int]] = {}
        self.bought: dict[str, tuple[date, int]] = {}
        for description, category_id, kind, positive, last in rows:
            if category_id not in cats.by_id or cats.is_default(category_id):
                continue
            key = merchant_key(description)
            if not key:
                continue
            if kind == "income":
                _latest(self.received, key, last, category_id)
                continue
            _latest(self.spent, key, last, category_id)
            if positive:
                _latest(self.bought, key, last, category_id)


def _latest(into: dict, key: str, day: date, category_id: int) -> None:
    if key not in into or into[key][0] < day:
        into[key] = (day, category_id)


class Suggester:
    """Suggests each row's category (see the module docstring); built once per import."""

    def __init__(
        self, conn: Connection, family_id: int, today: date, *, create: bool, matches: RuleMatches | None = None
    ):
        self.cats = Categories(conn, family_id, create=create)
        self.rules = load_rules(conn, family_id)
        # the rules' verdicts worked out before the write lock (an import's), else matched here in time
        self.matches = matches
        self.book = RuleBook(self.rules, deadline=time.monotonic() + MATCH_SECONDS)
        self.history = History(conn, family_id, today, self.cats)
        self.conn, self.family_id = conn, family_id
        self.bills = {b.id: b for b in load_bills(conn, family_id)}
        self._bill_category: dict[int, int | None] = {}

    def _pick(self, category_id: int, reason: str, **extra) -> Suggestion:
        label, kind = self.cats.by_id[category_id]
        return Suggestion(category_id, label, kind, reason, **extra)

    def bill_category(self, bill: Bill) -> int | None:
        """The fixed category a bill's payments are booked in (``services.bills.bill_category_id``)."""
        if bill.id not in self._bill_category:
            found = bill_category_id(self.conn, self.family_id, bill, create=self.cats.create)
            if found is not None and found not in self.cats.by_id:  # "Bills", created just now
                self.cats.by_id[found] = ("Bills", "fixed")
            self._bill_category[bill.id] = found
        return self._bill_category[bill.id]

    def for_bill(self, bill_id: int) -> Suggestion:
        bill = self.bills[bill_id]
        category_id = self.bill_category(bill)
        label, _ = self.cats.by_id.get(category_id, (BILLS[0], "fixed")) if category_id else (BILLS[0], "fixed")
        return Suggestion(category_id, label, "fixed", f"pays the bill {bill.name}", bill_id=bill_id, bill=bill.name)

    def suggest(self, description: str, bank_amount: int, *, corrected: int | None, bill_id: int | None) -> Suggestion:
        """The category of a bank row of ``bank_amount`` minor units (negative: money out)."""
        if corrected is not None:
            label, kind = self.cats.by_id[corrected]
            keep_bill = bill_id if kind in ("fixed", "variable") and bank_amount < 0 else None
            name = self.bills[keep_bill].name if keep_bill else None
            return Suggestion(corrected, label, kind, YOUR_CHOICE, bill_id=keep_bill, bill=name)
        if bill_id is not None and bank_amount < 0:
            return self.for_bill(bill_id)
        if self.matches is not None and description in self.matches.first:
            rule = self.matches.rule_for(self.rules, description)
        else:
            rule = self.book.first_match(description)
        if rule is not None and rule.category_id in self.cats.by_id:
            return self._pick(rule.category_id, FROM_RULE, user_id=rule.user_id, rule_id=rule.id)
        key = merchant_key(description)
        group = builtin_suggestion(description)
        if bank_amount > 0:
            return self._money_in(description, key, group)
        if key in self.history.spent:
            return self._pick(self.history.spent[key][1], LIKE_LAST_TIME)
        if group is not None:
            found = self.cats.named(group.categories, ("variable", "fixed", "savings"))
            if found is not None:
                return self._pick(found, group.reason)
        return Suggestion(*self.cats.default(*UNCATEGORIZED), NEEDS_CATEGORY)

    def _money_in(self, description: str, key: str, group) -> Suggestion:
        if looks_like_salary(description):
            found = self.cats.named(("Salary",), ("income",))
            if found is not None:
                return self._pick(found, SALARY)
            return Suggestion(*self.cats.default(*OTHER_INCOME), SALARY)
        if key and key in self.history.bought:
            return self._pick(self.history.bought[key][1], REFUND)
        if key in self.history.received:
            return self._pick(self.history.received[key][1], LIKE_LAST_TIME)
        if says_refund(description) and group is not None:
            found = self.cats.named(group.categories, ("variable", "fixed", "savings"))
            if found is not None:
                return self._pick(found, f"refund ({group.reason})")
        return Suggestion(*self.cats.default(*OTHER_INCOME), NEEDS_CATEGORY)

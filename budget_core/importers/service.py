"""The import use case: a bank file in, each row added, recognised as a duplicate, or linked.

``preview_import`` reads a file and says what importing it would do, writing nothing.
``import_file`` does it: one ``family_write`` transaction and one ``import.completed`` event
("Mom imported 42 transactions from checking.ofx"), or nothing at all when any row is bad.

A row is
- a **duplicate** when its import id was imported before (added or linked, even if the
  transaction was deleted since), appears twice in the file, or — for OFX, whose banks sometimes
  renumber FITIDs — has the content of an earlier imported row of the same account that this file
  does not contain under its old id;
- **linked** when a transaction typed by hand has the same amount within 3 days of it and is not
  linked yet (closest date first): the typed one is kept, the bank row is remembered and listed
  for review (``links_to_review``);
- **new** otherwise: added with the category of the person's correction, else of the first
  matching rule, else "Uncategorized" (money out) or "Other income" (money in), created if needed.

Signs: the bank's negative amounts are expenses (stored positive); positive ones are income
in an income category, or refunds (stored negative) in any other category.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Mapping

from sqlalchemy import Connection, Engine, text

from ..db.scope import scoped
from ..errors import ValidationError
from ..domain.period import local_today
from ..services._uow import NothingToWrite, family_write
from ..services.families import get_family
from ..services.transactions import MAX_DAYS_AHEAD, MAX_DESCRIPTION
from . import CsvMapping, Statement, StatementRow
from .csv_format import Source, check_size, default_profile_name, open_binary, read_csv
from .ofx_format import SNIFF_BYTES, looks_like_ofx, read_ofx
from .rules import RuleBook, RuleDraft, insert_rule, load_rules

LINK_DAYS = 3
UNCATEGORIZED = ("Uncategorized", "variable")
OTHER_INCOME = ("Other income", "income")


@dataclass(frozen=True, slots=True)
class BankProfile:
    id: int
    name: str
    mapping: CsvMapping


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to read and import a file.

    ``profile``: the bank profile to read with and save as (default: the one whose header matches,
    else a new one named after the file). ``categories``: the person's corrections, import id →
    category id. ``new_rules`` are saved and applied in the same transaction.
    """

    profile: str | None = None
    date_format: str | None = None
    account: str | None = None
    categories: Mapping[str, int] = field(default_factory=dict)
    members: Mapping[str, int] = field(default_factory=dict)
    new_rules: tuple[RuleDraft, ...] = ()
    dry_run: bool = False


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
        return {"line": r.line, "date": r.occurred_on.isoformat(), "bank_amount": r.amount,
                "description": r.description, "status": self.status, "reason": self.reason,
                "category": self.category, "category_id": self.category_id, "amount": self.amount,
                "rule_id": self.rule_id, "transaction_id": self.transaction_id, "import_id": r.import_id}


@dataclass(frozen=True)
class ImportResult:
    file_name: str
    format: str
    currency: str
    rows: list[PlannedRow]
    skipped_lines: tuple[int, ...] = ()
    mapping: CsvMapping | None = None
    profile: str | None = None
    profile_saved: bool = False
    dry_run: bool = True
    version: int | None = None  # the family version written; None when nothing was written

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def added(self) -> int:
        return self.count("new")

    @property
    def duplicates(self) -> int:
        return self.count("duplicate")

    @property
    def linked(self) -> int:
        return self.count("linked")

    def summary(self) -> str:
        verb = "would add" if self.dry_run else "added"
        return (f"{self.file_name}: {verb} {self.added}, {self.duplicates} duplicates, {self.linked} linked"
                + (f", {len(self.skipped_lines)} lines without an amount skipped" if self.skipped_lines else ""))

    def as_json(self, *, with_rows: bool = False) -> dict:
        data = {"file": self.file_name, "format": self.format, "added": self.added, "duplicates": self.duplicates,
                "linked": self.linked, "skipped": len(self.skipped_lines), "dry_run": self.dry_run,
                "profile": self.profile, "mapping": self.mapping.as_json() if self.mapping else None,
                "version": self.version,
                "linked_rows": [r.as_json() for r in self.rows if r.status == "linked"]}
        if with_rows:
            data["rows"] = [r.as_json() for r in self.rows]
        return data


# --- reading ------------------------------------------------------------------------------------------
def load_profiles(conn: Connection, family_id: int) -> list[BankProfile]:
    rows = conn.execute(text("SELECT id, name, mapping FROM bank_profiles WHERE family_id = :f ORDER BY name"),
                        {"f": family_id}).all()
    return [BankProfile(i, n, CsvMapping.from_json(m)) for i, n, m in rows]


def list_profiles(engine: Engine, user_id: int, family_id: int) -> list[BankProfile]:
    get_family(engine, user_id, family_id)
    with scoped(engine, family_id, user_id) as conn:
        return load_profiles(conn, family_id)


def read_statement(file_name: str, source: Source, currency: str, profiles: list[BankProfile] = (),
                   options: ImportOptions = ImportOptions()) -> Statement:
    """Parse a bank file of any supported format (decided by its content, not its name)."""
    check_size(source)
    with open_binary(source) as fh:
        head = fh.read(SNIFF_BYTES)
    if looks_like_ofx(head):
        return read_ofx(source, file_name, currency)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(f"{file_name} is a spreadsheet (Excel); export the statement as CSV or OFX instead.")
    if head.startswith(b"%PDF"):
        raise ValidationError(f"{file_name} is a PDF statement; download the CSV or OFX export instead.")
    mappings, account = tuple(p.mapping for p in profiles), options.account
    if options.profile:  # a named profile keeps its account even when the bank changes its layout
        named = next((p for p in profiles if p.name.casefold() == " ".join(options.profile.split()).casefold()), None)
        if named is not None:
            mappings, account = (named.mapping,), account or named.mapping.account
        else:
            account = account or "profile-" + " ".join(options.profile.split()).casefold()
    return read_csv(source, file_name, currency, profiles=mappings, date_format=options.date_format, account=account)


def _where(statement: Statement, row: StatementRow) -> str:
    return f"Line {row.line}" if statement.format == "csv" else f"Transaction {row.line}"


# --- planning -------------------------------------------------------------------------------------------
@dataclass
class _Categories:
    by_id: dict[int, tuple[str, str]]  # id -> (label, kind), live categories
    uncategorized: int | None
    other_income: int | None


def _categories(conn: Connection, family_id: int) -> _Categories:
    rows = conn.execute(text(
        "SELECT c.id, CASE WHEN p.name IS NULL THEN c.name ELSE p.name || ' › ' || c.name END, c.kind, c.name "
        "FROM categories c LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id "
        "WHERE c.family_id = :f AND c.archived_at IS NULL ORDER BY c.parent_id NULLS FIRST, c.id"),
        {"f": family_id}).all()
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
    found = conn.execute(text(
        "SELECT t.id, t.amount, t.kind, t.occurred_on FROM transactions t "
        "WHERE t.family_id = :f AND t.import_id IS NULL AND t.occurred_on BETWEEN :lo AND :hi "
        "AND NOT EXISTS (SELECT 1 FROM imported_rows i WHERE i.family_id = t.family_id AND i.transaction_id = t.id) "
        "ORDER BY t.id"), {"f": family_id, "lo": lo, "hi": hi}).all()
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


def plan_rows(conn: Connection, family_id: int, actor_id: int, statement: Statement, options: ImportOptions,
              today: date, *, create_defaults: bool = False) -> list[PlannedRow]:
    """Decide every row's fate against the family's stored rows.

    With ``create_defaults`` (inside the import's write transaction) a missing "Uncategorized" or
    "Other income" category is created when a new row needs it; otherwise it is shown by name.
    Duplicates are not categorised: they were imported before.
    """
    rows = statement.rows
    for row in rows:
        if row.occurred_on > today + timedelta(days=MAX_DAYS_AHEAD) or row.occurred_on.year < 1970:
            raise ValidationError(f"{_where(statement, row)}: the date {row.occurred_on} is not plausible; "
                                  "check the file's date column.")
    ids = [r.import_id for r in rows]
    known = set(conn.execute(text("SELECT import_id FROM imported_rows WHERE family_id = :f "
                                  "AND import_id = ANY(:ids)"), {"f": family_id, "ids": ids}).scalars())
    renumbered: set[tuple[str, str]] = set()
    if statement.format == "ofx":
        unknown = [r for r in rows if r.import_id not in known]
        if unknown:
            renumbered = {tuple(x) for x in conn.execute(text(
                "SELECT account, content_key FROM imported_rows WHERE family_id = :f AND import_id LIKE 'ofx:%' "
                "AND account = ANY(:accounts) AND content_key = ANY(:keys) AND NOT (import_id = ANY(:ids))"),
                {"f": family_id, "accounts": sorted({r.account for r in unknown}),
                 "keys": [r.content_key for r in unknown], "ids": ids}).all()}
    cats = _categories(conn, family_id)
    book = RuleBook(load_rules(conn, family_id))
    members = set(conn.execute(text("SELECT user_id FROM members WHERE family_id = :f AND removed_at IS NULL"),
                               {"f": family_id}).scalars())
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
        corrected = options.categories.get(row.import_id)
        if corrected is not None:
            if corrected not in cats.by_id:
                raise ValidationError(f"{_where(statement, row)}: category {corrected} is not a live category "
                                      "of this family.")
            category_id = corrected
        else:
            rule = book.first_match(row.description)
            if rule is not None:
                category_id, rule_id = rule.category_id, rule.id
                user_id = rule.user_id if rule.user_id in members else actor_id
        if options.members.get(row.import_id) in members:
            user_id = options.members[row.import_id]
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
    """"Uncategorized" for money out, "Other income" for money in; created on first need if allowed."""

    def __init__(self, conn: Connection, family_id: int, cats: _Categories, create: bool):
        self.conn, self.family_id, self.cats, self.create = conn, family_id, cats, create

    def for_amount(self, bank_amount: int) -> tuple[int | None, str, str]:
        name, kind = UNCATEGORIZED if bank_amount < 0 else OTHER_INCOME
        existing = self.cats.uncategorized if bank_amount < 0 else self.cats.other_income
        if existing is not None:
            return (existing, *self.cats.by_id[existing])
        if not self.create:
            return None, name, kind
        new_id = self.conn.execute(text("INSERT INTO categories (family_id, name, kind) VALUES (:f, :n, :k) "
                                        "RETURNING id"), {"f": self.family_id, "n": name, "k": kind}).scalar_one()
        self.cats.by_id[new_id] = (name, kind)
        if bank_amount < 0:
            self.cats.uncategorized = new_id
        else:
            self.cats.other_income = new_id
        return new_id, name, kind


# --- the use cases --------------------------------------------------------------------------------------
def _prepare(engine: Engine, actor_id: int, family_id: int, file_name: str, source: Source,
             options: ImportOptions) -> tuple:
    family = get_family(engine, actor_id, family_id)
    with scoped(engine, family_id, actor_id) as conn:
        profiles = load_profiles(conn, family_id)
    statement = read_statement(Path(file_name).name, source, family.currency, profiles, options)
    return family, profiles, statement


def preview_import(engine: Engine, actor_id: int, family_id: int, file_name: str, source: Source,
                   options: ImportOptions = ImportOptions(), *, now: datetime | None = None) -> ImportResult:
    """What importing the file would do, row by row; writes nothing and takes no lock."""
    family, profiles, statement = _prepare(engine, actor_id, family_id, file_name, source, options)
    today = local_today(family.timezone, now or datetime.now(timezone.utc))
    with scoped(engine, family_id, actor_id) as conn:
        planned = plan_rows(conn, family_id, actor_id, statement, options, today)
    return ImportResult(statement.file_name, statement.format, family.currency, planned, statement.skipped_lines,
                        statement.mapping, _profile_name(statement, profiles, options), False, True)


def import_file(engine: Engine, actor_id: int, family_id: int, file_name: str, source: Source,
                options: ImportOptions = ImportOptions(), *, now: datetime | None = None) -> ImportResult:
    """Import a bank file in one transaction with one event; with ``options.dry_run`` roll it back.

    Raises ValidationError (naming the line) for a file that cannot be read; nothing is written then.
    """
    family, profiles, statement = _prepare(engine, actor_id, family_id, file_name, source, options)
    try:
        with family_write(engine, family_id, actor_id, role="member", action="import transactions") as w:
            for draft in options.new_rules:
                insert_rule(w.conn, family_id, actor_id, draft)
            today = local_today(w.family["timezone"], now or datetime.now(timezone.utc))
            planned = plan_rows(w.conn, family_id, actor_id, statement, options, today, create_defaults=True)
            _write_rows(w.conn, family_id, actor_id, statement, planned)
            name, saved = _save_profile(w.conn, family_id, statement, profiles, options)
            result = ImportResult(statement.file_name, statement.format, family.currency, planned,
                                  statement.skipped_lines, statement.mapping, name, saved, options.dry_run, w.version)
            if options.dry_run or not (result.added or result.linked or saved or options.new_rules):
                raise NothingToWrite(replace(result, version=None, profile_saved=False))
            w.emit("import.completed", {
                "actor": w.actor_name, "count": result.added, "file": statement.file_name,
                "duplicates": result.duplicates, "linked": result.linked, "skipped": len(statement.skipped_lines),
                "format": statement.format, "profile": name, "rules_added": len(options.new_rules)})
    except NothingToWrite as nothing:
        return nothing.result
    return result


def _write_rows(conn: Connection, family_id: int, actor_id: int, statement: Statement,
                planned: list[PlannedRow]) -> None:
    """Insert the new transactions and the ledger of imported rows (inside the caller's transaction).

    Rows go in as arrays through ``unnest`` in blocks: COPY would be faster but PostgreSQL refuses
    COPY FROM into tables under row-level security. ``client_id`` is a fresh UUID: the import id
    is what makes an imported row unique.
    """
    fresh = [p for p in planned if p.status in ("new", "linked")]
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        for block in _blocks([p for p in fresh if p.status == "new"]):
            cur.execute(
                "INSERT INTO transactions (family_id, user_id, category_id, kind, amount, description, occurred_on, "
                "client_id, import_id) SELECT %s, u, c, k, a, d, o, gen_random_uuid(), i "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::bigint[], %s::text[], %s::date[], "
                "%s::text[]) AS t(u, c, k, a, d, o, i)",
                (family_id, [p.user_id for p in block], [p.category_id for p in block], [p.kind for p in block],
                 [p.amount for p in block], [p.row.description[:MAX_DESCRIPTION] for p in block],
                 [p.row.occurred_on for p in block], [p.row.import_id for p in block]))
        for block in _blocks(fresh):
            cur.execute(
                "INSERT INTO imported_rows (family_id, import_id, account, content_key, occurred_on, amount, "
                "description, file_name, outcome, transaction_id, imported_by) "
                "SELECT %s, i, acc, ck, o, a, d, %s, oc, t, %s "
                "FROM unnest(%s::text[], %s::text[], %s::text[], %s::date[], %s::bigint[], %s::text[], %s::text[], "
                "%s::bigint[]) AS x(i, acc, ck, o, a, d, oc, t)",
                (family_id, statement.file_name, actor_id, [p.row.import_id for p in block],
                 [p.row.account for p in block], [p.row.content_key for p in block],
                 [p.row.occurred_on for p in block], [p.row.amount for p in block],
                 [p.row.description for p in block], ["added" if p.status == "new" else "linked" for p in block],
                 [p.transaction_id for p in block]))


def _blocks(items: list, size: int = 20_000):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _profile_name(statement: Statement, profiles: list[BankProfile], options: ImportOptions) -> str | None:
    if statement.mapping is None:
        return None
    if options.profile:
        return " ".join(options.profile.split())
    matched = next((p for p in profiles if p.mapping.header == statement.mapping.header
                    and p.mapping.delimiter == statement.mapping.delimiter), None)
    if matched:
        return matched.name
    base = default_profile_name(statement.file_name)
    taken = {p.name.casefold() for p in profiles}
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        name = f"{base} {n}"
    return name


def _save_profile(conn: Connection, family_id: int, statement: Statement, profiles: list[BankProfile],
                  options: ImportOptions) -> tuple[str | None, bool]:
    """Save the CSV mapping as the family's bank profile; True when something was written.

    Profiles are read again under the family's write lock: a concurrent import may have saved one.
    """
    profiles = load_profiles(conn, family_id)
    name = _profile_name(statement, profiles, options)
    if name is None:
        return None, False
    if len(name) > 60:
        raise ValidationError("Keep the bank profile's name under 60 characters.")
    mapping = statement.mapping.as_json()
    existing = next((p for p in profiles if p.name.casefold() == name.casefold()), None)
    if existing is None:
        conn.execute(text("INSERT INTO bank_profiles (family_id, name, mapping) VALUES (:f, :n, CAST(:m AS jsonb))"),
                     {"f": family_id, "n": name, "m": _json(mapping)})
        return name, True
    if existing.mapping.as_json() != mapping:
        conn.execute(text("UPDATE bank_profiles SET mapping = CAST(:m AS jsonb), updated_at = now() "
                          "WHERE family_id = :f AND id = :i"), {"f": family_id, "i": existing.id, "m": _json(mapping)})
        return existing.name, True
    return existing.name, False


def _json(data: dict) -> str:
    import json

    return json.dumps(data, separators=(",", ":"))


# --- rows linked to transactions typed by hand -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LinkedRow:
    """A bank row that was matched to a transaction typed by hand, waiting for someone to confirm it."""

    import_id: str
    occurred_on: date
    bank_amount: int
    description: str
    file_name: str
    transaction_id: int | None
    transaction_description: str | None
    transaction_amount: int | None
    transaction_on: date | None
    member: str | None


def links_to_review(engine: Engine, user_id: int, family_id: int) -> list[LinkedRow]:
    """Linked bank rows nobody has confirmed yet, newest first."""
    get_family(engine, user_id, family_id)
    with scoped(engine, family_id, user_id) as conn:
        rows = conn.execute(text(
            "SELECT i.import_id, i.occurred_on, i.amount, i.description, i.file_name, t.id, t.description, "
            "t.amount, t.occurred_on, m.display_name FROM imported_rows i "
            "LEFT JOIN transactions t ON t.family_id = i.family_id AND t.id = i.transaction_id "
            "LEFT JOIN members m ON m.family_id = t.family_id AND m.user_id = t.user_id "
            "WHERE i.family_id = :f AND i.outcome = 'linked' AND i.reviewed_at IS NULL "
            "ORDER BY i.occurred_on DESC, i.import_id"), {"f": family_id}).all()
    return [LinkedRow(*r) for r in rows]


def confirm_links(engine: Engine, actor_id: int, family_id: int, import_ids: list[str]) -> int:
    """Mark linked rows as reviewed ("yes, the bank row is the expense we typed"); returns how many."""
    try:
        with family_write(engine, family_id, actor_id, role="member", action="review imported rows") as w:
            done = w.conn.execute(text(
                "UPDATE imported_rows SET reviewed_at = now() WHERE family_id = :f AND outcome = 'linked' "
                "AND reviewed_at IS NULL AND import_id = ANY(:ids)"),
                {"f": family_id, "ids": list(import_ids)}).rowcount
            if not done:
                raise NothingToWrite(0)
            w.emit("import.links_confirmed", {"actor": w.actor_name, "count": done})
    except NothingToWrite as nothing:
        return nothing.result
    return done


def unlink(engine: Engine, actor_id: int, family_id: int, import_id: str) -> int:
    """The bank row was not the typed expense after all: add it as a transaction of its own.

    Returns the new transaction's id. Its category comes from the rules, else the default.
    """
    with family_write(engine, family_id, actor_id, role="member", action="review imported rows") as w:
        row = w.conn.execute(text(
            "SELECT import_id, occurred_on, amount, description, account, content_key, file_name "
            "FROM imported_rows WHERE family_id = :f AND import_id = :i AND outcome = 'linked' FOR UPDATE"),
            {"f": family_id, "i": import_id}).first()
        if row is None:
            raise ValidationError("That bank row is not linked to a transaction (any more).")
        bank = StatementRow(0, row.occurred_on, row.amount, row.description, row.import_id, row.content_key,
                            row.account)
        cats = _categories(w.conn, family_id)
        rule = RuleBook(load_rules(w.conn, family_id)).first_match(bank.description)
        if rule is not None:
            category_id, (label, kind) = rule.category_id, cats.by_id[rule.category_id]
        else:
            category_id, label, kind = _DefaultCategories(w.conn, family_id, cats, True).for_amount(bank.amount)
        user_id = rule.user_id if rule and rule.user_id else actor_id
        amount = bank.amount if kind == "income" else -bank.amount
        tx_id = w.conn.execute(text(
            "INSERT INTO transactions (family_id, user_id, category_id, kind, amount, description, occurred_on, "
            "client_id, import_id) VALUES (:f, :u, :c, :k, :a, :d, :o, :ci, :i) RETURNING id"),
            {"f": family_id, "u": user_id, "c": category_id, "k": kind, "a": amount,
             "d": bank.description[:MAX_DESCRIPTION], "o": bank.occurred_on, "ci": uuid.uuid4(),
             "i": import_id}).scalar_one()
        w.conn.execute(text("UPDATE imported_rows SET outcome = 'added', transaction_id = NULL, reviewed_at = now() "
                            "WHERE family_id = :f AND import_id = :i"), {"f": family_id, "i": import_id})
        w.emit("transaction.added", {
            "actor": w.actor_name, "id": tx_id, "amount": amount, "currency": w.family["currency"],
            "description": bank.description, "category": label, "kind": kind,
            "occurred_on": bank.occurred_on.isoformat()})
    return tx_id

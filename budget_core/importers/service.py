"""The import use case: a bank file in, each row added, recognised as a duplicate, or linked.

``preview_import`` reads a file and says what importing it would do, writing nothing.
``import_file`` does it: one ``family_write`` transaction and one ``import.completed`` event
("Mom imported 42 transactions from checking.ofx"), or nothing at all when any row is bad.
Reading the file and matching its descriptions against the rules both happen before that
transaction takes the family's write lock, each bounded in time, so a slow or hostile file only
makes its own importer wait.

What happens to each row is decided in :mod:`.planning`; the CSV layout is read with and saved as
a bank profile (:mod:`.profiles`); linked rows are reviewed through :mod:`.links`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, text

from ..db.engine import driver_connection
from ..domain.merchants import merchant_pattern
from ..domain.storable import check_storable
from ..errors import ValidationError
from ..services._uow import NothingToWrite, family_write
from ..services.access import FamilyAccess
from ..services.transactions import NewRow, write_rows
from . import CsvMapping, Statement
from .csv_format import read_csv
from .ofx_format import SNIFF_BYTES, looks_like_ofx, read_ofx
from .planning import Corrections, PlannedRow, plan_rows
from .profiles import BankProfile, layouts_to_read_with, load_profiles, profile_name, save_profile
from .rules import RuleDraft, RuleMatches, RulesChanged, check_pattern, insert_rule, load_rules, match_descriptions
from .source import Source, check_size, open_binary


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
    skip: frozenset[str] = frozenset()  # rows flagged "maybe imported before" the person leaves out

    def __post_init__(self) -> None:
        """Refuse, before any file is read, reading options no file could be read with."""
        from .csv_cells import DATE_FORMATS

        for what, value, longest in (("bank profile's name", self.profile, 60), ("account name", self.account, 100)):
            if value is None:
                continue
            if not isinstance(value, str) or not value.strip() or len(value) > longest:
                raise ValidationError(f"The {what} must be 1 to {longest} characters.")
            check_storable(value, what)
        if self.date_format is not None and self.date_format not in DATE_FORMATS:
            raise ValidationError(f"'{self.date_format}' is not a date format; use one of {', '.join(DATE_FORMATS)}.")

    @property
    def corrections(self) -> Corrections:
        """The per-row corrections, which are all that planning needs of these options."""
        return Corrections(self.categories, self.members, frozenset(self.skip))


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
    batch_id: int | None = None  # the import, as listed for undo; None when nothing was written

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

    @property
    def needs_category(self) -> int:
        """New rows nothing could place: they count as everyday spending until someone decides."""
        return sum(1 for r in self.rows if r.needs_category)

    @property
    def bills_paid(self) -> int:
        return sum(1 for r in self.rows if r.status == "new" and r.bill_id is not None)

    @property
    def maybe_duplicates(self) -> int:
        return sum(1 for r in self.rows if r.status == "new" and r.ask)

    def summary(self) -> str:
        verb = "would add" if self.dry_run else "added"
        extra = "".join(
            (
                f", {self.bills_paid} paying bills" if self.bills_paid else "",
                f", {self.needs_category} needing a category" if self.needs_category else "",
                f", {self.maybe_duplicates} maybe imported before (check them)" if self.maybe_duplicates else "",
                f", {len(self.skipped_lines)} lines without an amount skipped" if self.skipped_lines else "",
            )
        )
        return f"{self.file_name}: {verb} {self.added}, {self.duplicates} duplicates, {self.linked} linked{extra}"

    def as_json(self, *, with_rows: bool = False) -> dict:
        data = {
            "file": self.file_name,
            "format": self.format,
            "added": self.added,
            "duplicates": self.duplicates,
            "linked": self.linked,
            "skipped": len(self.skipped_lines),
            "dry_run": self.dry_run,
            "profile": self.profile,
            "mapping": self.mapping.as_json() if self.mapping else None,
            "version": self.version,
            "import": self.batch_id,
            "needs_category": self.needs_category,
            "bills_paid": self.bills_paid,
            "maybe_duplicates": self.maybe_duplicates,
            "linked_rows": [r.as_json() for r in self.rows if r.status == "linked"],
        }
        if with_rows:
            data["rows"] = [r.as_json() for r in self.rows]
        return data


def read_statement(
    file_name: str,
    source: Source,
    currency: str,
    profiles: Sequence[BankProfile] = (),
    options: ImportOptions = ImportOptions(),
) -> Statement:
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
    mappings, account = layouts_to_read_with(profiles, options.profile, options.account)
    return read_csv(source, file_name, currency, profiles=mappings, date_format=options.date_format, account=account)


@dataclass(frozen=True)
class Isolation:
    """Read the file in a child process under CPU and memory limits (``sandbox``), killable through
    ``cancel``: how the web app reads uploads, so a file never runs in the server's own process."""

    cancel: threading.Event | None = None


def _rule_order(conn: Connection, family_id: int, options: ImportOptions) -> list[tuple[str, bool]]:
    """The rules' (pattern, is_regex) in the order they will apply once ``options.new_rules`` are
    added first, one after another."""
    rules = sorted(load_rules(conn, family_id), key=lambda r: (r.position, r.id))
    order = [(check_pattern(d.pattern, d.is_regex), d.is_regex) for d in reversed(options.new_rules)]
    return order + [(r.pattern, r.is_regex) for r in rules]


def _prepare(
    access: FamilyAccess, file_name: str, source: Source, options: ImportOptions, isolation: Isolation | None
) -> tuple[list[BankProfile], Statement, RuleMatches]:
    """Read the file and match its descriptions against the rules, before any write lock (each
    bounded in time); in a child process with ``isolation``."""
    with access.read() as conn:
        profiles = load_profiles(conn, access.family_id)
        order = _rule_order(conn, access.family_id, options)
    name = Path(file_name).name
    if isolation is not None:
        from .sandbox import read_and_match

        statement, matches = read_and_match(
            name,
            source,
            access.currency,
            profiles,
            profile=options.profile,
            date_format=options.date_format,
            account=options.account,
            rules=order,
            cancel=isolation.cancel,
        )
    else:
        statement = read_statement(name, source, access.currency, profiles, options)
        matches = match_descriptions(order, (r.description for r in statement.rows))
    return profiles, statement, matches


def _rematch(access: FamilyAccess, statement: Statement, options: ImportOptions) -> RuleMatches:
    """The rules changed since the file was matched: match again (still before any write lock)."""
    with access.read() as conn:
        order = _rule_order(conn, access.family_id, options)
    return match_descriptions(order, (r.description for r in statement.rows))


def preview_import(
    access: FamilyAccess,
    file_name: str,
    source: Source,
    options: ImportOptions = ImportOptions(),
    *,
    now: datetime | None = None,
    isolation: Isolation | None = None,
) -> ImportResult:
    """What importing the file would do, row by row; writes nothing and takes no lock."""
    profiles, statement, matches = _prepare(access, file_name, source, options, isolation)
    today = access.today(now)
    for _attempt in range(3):
        try:
            with access.read() as conn:
                planned = plan_rows(
                    conn, access.family_id, access.user_id, statement, options.corrections, today, matches=matches
                )
            break
        except RulesChanged:
            matches = _rematch(access, statement, options)
    else:
        raise ValidationError("The family's rules kept changing while this file was read; try again.")
    return ImportResult(
        statement.file_name,
        statement.format,
        access.currency,
        planned,
        statement.skipped_lines,
        statement.mapping,
        profile_name(statement, profiles, options.profile),
        False,
        True,
    )


def import_file(
    access: FamilyAccess,
    file_name: str,
    source: Source,
    options: ImportOptions = ImportOptions(),
    *,
    now: datetime | None = None,
    isolation: Isolation | None = None,
) -> ImportResult:
    """Import a bank file in one transaction with one event; with ``options.dry_run`` roll it back.

    The file is read and matched against the rules before the write transaction (which only plans
    and writes rows). Raises ValidationError (naming the line) for a file that cannot be read;
    nothing is written then.
    """
    _, statement, matches = _prepare(access, file_name, source, options, isolation)
    for _attempt in range(3):  # the rules may change between matching and the write lock: match again
        try:
            return _write_import(access, statement, options, matches, now=now)
        except RulesChanged:
            matches = _rematch(access, statement, options)
    raise ValidationError("The family's rules kept changing while this file was imported; import it again.")


def _write_import(
    access: FamilyAccess, statement: Statement, options: ImportOptions, matches, *, now: datetime | None
) -> ImportResult:
    family_id, actor_id = access.family_id, access.user_id
    try:
        with family_write(access, role="member", action="import transactions") as w:
            for draft in options.new_rules:
                insert_rule(w.conn, family_id, actor_id, draft)
            today = access.today(now)
            planned = plan_rows(
                w.conn,
                family_id,
                actor_id,
                statement,
                options.corrections,
                today,
                create_defaults=True,
                matches=matches,
            )
            name, saved = save_profile(w.conn, family_id, statement, options.profile)
            will_write = not options.dry_run and bool(
                [p for p in planned if p.status in ("new", "linked")] or saved or options.new_rules
            )
            batch_id = _write_rows(w.conn, family_id, actor_id, statement, planned) if will_write else None
            result = ImportResult(
                statement.file_name,
                statement.format,
                access.currency,
                planned,
                statement.skipped_lines,
                statement.mapping,
                name,
                saved,
                options.dry_run,
                w.version,
                batch_id,
            )
            if not will_write:
                raise NothingToWrite(replace(result, version=None, profile_saved=False, batch_id=None))
            w.emit(
                "import.completed",
                {
                    "actor": w.actor_name,
                    "count": result.added,
                    "file": statement.file_name,
                    "import": batch_id,
                    "duplicates": result.duplicates,
                    "linked": result.linked,
                    "bills_paid": result.bills_paid,
                    "needs_category": result.needs_category,
                    "skipped": len(statement.skipped_lines),
                    "format": statement.format,
                    "profile": name,
                    "rules_added": len(options.new_rules),
                },
            )
    except NothingToWrite as nothing:
        return nothing.result
    return result


def _category_of(p: PlannedRow) -> int:
    """A new row's category: planned with the defaults created, every new row has one."""
    if p.category_id is None:
        raise RuntimeError(f"bank row {p.row.import_id} was planned without a category")
    return p.category_id


def _write_rows(
    conn: Connection, family_id: int, actor_id: int, statement: Statement, planned: list[PlannedRow]
) -> int:
    """Record the import (``imports``, listed for undo), insert the new transactions (through the one
    writer, ``transactions.write_rows``, each with its bill) and the ledger of imported rows, and
    teach each bill paid here for the first time the words it was found by. Inside the caller's
    transaction; returns the import's id. ``client_id`` is a fresh UUID: the import id is what
    makes an imported row unique.
    """
    fresh = [p for p in planned if p.status in ("new", "linked")]
    added = [p for p in fresh if p.status == "new"]
    learned = _learn_bill_words(conn, family_id, added)
    batch_id = conn.execute(
        text(
            "INSERT INTO imports (family_id, file_name, format, imported_by, added, linked, restore) "
            "VALUES (:f, :n, :fmt, :u, :a, :l, CAST(:r AS jsonb)) RETURNING id"
        ),
        {
            "f": family_id,
            "n": statement.file_name,
            "fmt": statement.format,
            "u": actor_id,
            "a": len(added),
            "l": len(fresh) - len(added),
            "r": json.dumps({"bill_words": learned}),
        },
    ).scalar_one()
    write_rows(
        conn,
        family_id,
        [
            NewRow(
                p.user_id,
                _category_of(p),
                p.kind,
                p.amount,
                p.row.description,
                p.row.occurred_on,
                p.row.import_id,
                bill_id=p.bill_id,
            )
            for p in added
        ],
    )
    with driver_connection(conn).cursor() as cur:
        for block in _blocks(fresh):
            cur.execute(
                "INSERT INTO imported_rows (family_id, import_id, account, content_key, occurred_on, amount, "
                "description, file_name, outcome, transaction_id, imported_by, batch_id) "
                "SELECT %s, i, acc, ck, o, a, d, %s, oc, t, %s, %s "
                "FROM unnest(%s::text[], %s::text[], %s::text[], %s::date[], %s::bigint[], %s::text[], %s::text[], "
                "%s::bigint[]) AS x(i, acc, ck, o, a, d, oc, t)",
                (
                    family_id,
                    statement.file_name,
                    actor_id,
                    batch_id,
                    [p.row.import_id for p in block],
                    [p.row.account for p in block],
                    [p.row.content_key for p in block],
                    [p.row.occurred_on for p in block],
                    [p.row.amount for p in block],
                    [p.row.description for p in block],
                    ["added" if p.status == "new" else "linked" for p in block],
                    [p.transaction_id for p in block],
                ),
            )
    return batch_id


def _learn_bill_words(conn: Connection, family_id: int, added: list[PlannedRow]) -> dict[str, list[str]]:
    """A bill paid without words of its own learns the merchant of its first payment ("Stadtwerke
    München Strom"); returns bill id → the words it had before (what an undo puts back)."""
    first: dict[int, str] = {}
    for p in added:
        if p.bill_id is not None and p.bill_id not in first:
            first[p.bill_id] = merchant_pattern(p.row.description)
    learned: dict[str, list[str]] = {}
    for bill_id, words in first.items():
        row = conn.execute(
            text(
                "UPDATE fixed_expenses b SET match_words = ARRAY[:w] FROM fixed_expenses old "
                "WHERE b.family_id = :f AND b.id = :b AND old.family_id = b.family_id AND old.id = b.id "
                "AND cardinality(b.match_words) = 0 AND length(:w) > 0 RETURNING old.match_words"
            ),
            {"f": family_id, "b": bill_id, "w": words},
        ).first()
        if row is not None:
            learned[str(bill_id)] = list(row[0])
    return learned


def _blocks(items: list, size: int = 20_000):
    for start in range(0, len(items), size):
        yield items[start : start + size]

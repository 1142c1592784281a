"""Bank files in, no duplicates out: CSV and OFX statements, categorisation rules, an inbox folder.

The pieces, each with one job:

- ``source``: a bank file's bytes (in memory or a path): the size limit, opening, text encoding.
- ``csv_cells``: a CSV cell's date or amount, as banks write them (pure).
- ``csv_format`` / ``ofx_format``: read a bank file into :class:`Statement` rows (pure, no database).
  CSV layouts are detected (preamble, delimiter, columns, date format, decimal comma)
  into a :class:`CsvMapping` that the family saves as a named bank profile.
- ``rules``: "description contains / matches → category (and member)", first match wins (pure).
- ``profiles``: the family's saved bank profiles: which to read a file with, what to save it as.
- ``planning``: each row's fate (new, duplicate, linked), category and member.
- ``links``: rows linked to transactions typed by hand: review, confirm, unlink.
- ``service``: the import use case. One import is one ``family_write`` transaction and one
  ``import.completed`` event; nothing is half-imported.
- ``watch``: the inbox folder (watchdog) that imports every file once it is completely written.

``budget import …`` lives with the other commands in ``budget_core.cli.imports``. This package may
import ``budget_core.domain``, ``budget_core.db``, ``budget_core.errors`` and
``budget_core.services``; the readers (``source``, ``csv_*``, ``ofx_format``) import none of the
database parts.

Amounts in a :class:`StatementRow` are minor units signed as the bank writes them: negative is
money out of the account, positive is money in. The service turns them into expenses, refunds and
income.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from ..domain.storable import strip_bidi

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Largest bank file accepted (16 MiB, about 250,000 CSV rows): larger files are refused before
anything is read, which keeps an import's memory bounded. Years of a household's statements fit."""

MAX_ROWS = 250_000
"""Most rows one file may hold."""


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One booked bank transaction.

    ``line`` is the 1-based line of the CSV file (for OFX, the transaction's position in the file);
    ``amount`` is minor units, negative = money out; ``import_id`` is stable across re-downloads.
    ``content_key`` identifies the row by what it says (account, date, amount, description and its
    occurrence among identical rows), used to recognise rows whose bank id changed.
    """

    line: int
    occurred_on: date
    amount: int
    description: str
    import_id: str
    content_key: str
    account: str


@dataclass(frozen=True, slots=True)
class CsvMapping:
    """How to read one bank's CSV layout; saved per family as a bank profile (``as_json``).

    ``header`` is the header row as the bank writes it (it identifies the layout); columns are
    named by their header text. Either ``amount`` or ``debit``/``credit`` is set.
    ``date_format`` is one of :data:`csv_cells.DATE_FORMATS`' keys; ``decimal`` is "." or ",".
    ``account`` names the bank account in import ids: keep it stable, or re-imports duplicate.
    """

    header: tuple[str, ...]
    delimiter: str
    date: str
    date_format: str
    description: tuple[str, ...]
    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    decimal: str = "."
    account_column: str | None = None
    account: str = ""

    def as_json(self) -> dict:
        return {
            "header": list(self.header),
            "delimiter": self.delimiter,
            "date": self.date,
            "date_format": self.date_format,
            "description": list(self.description),
            "amount": self.amount,
            "debit": self.debit,
            "credit": self.credit,
            "decimal": self.decimal,
            "account_column": self.account_column,
            "account": self.account,
        }

    @classmethod
    def from_json(cls, data: dict) -> CsvMapping:
        return cls(
            header=tuple(data["header"]),
            delimiter=data["delimiter"],
            date=data["date"],
            date_format=data["date_format"],
            description=tuple(data["description"]),
            amount=data.get("amount"),
            debit=data.get("debit"),
            credit=data.get("credit"),
            decimal=data.get("decimal", "."),
            account_column=data.get("account_column"),
            account=data.get("account", ""),
        )

    def describe(self) -> str:
        """'date=Date (m/d/Y), amount=Amount, description=Payee + Memo, decimal "."' for people."""
        money = f"amount={self.amount}" if self.amount else f"debit={self.debit}, credit={self.credit}"
        return (
            f"date={self.date} ({self.date_format}), {money}, description={' + '.join(self.description)}, "
            f"decimal '{self.decimal}', delimiter {self.delimiter!r}"
        )


@dataclass(frozen=True, slots=True)
class Statement:
    """A parsed bank file: its rows in file order, and how it was read."""

    file_name: str
    format: str  # "csv" or "ofx"
    rows: list[StatementRow]
    currency: str | None = None
    mapping: CsvMapping | None = None
    encoding: str | None = None
    skipped_lines: tuple[int, ...] = field(default=())


def normal_text(text: str) -> str:
    """Whitespace collapsed and bidirectional controls stripped; what is stored as the description."""
    return " ".join(strip_bidi(text or "").split())


def content_key(account: str, occurred_on: date, amount: int, description: str, occurrence: int) -> str:
    """The hash that identifies a row by its content and its occurrence among identical rows.

    Case and spacing of the description do not matter (banks change them between exports).
    """
    raw = "\x1f".join(
        (account, occurred_on.isoformat(), str(amount), normal_text(description).casefold(), str(occurrence))
    )
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


class OccurrenceCounter:
    """Numbers identical rows 1, 2, 3 … in file order, so genuine twins get different ids."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[tuple, int] = {}

    def next(self, account: str, occurred_on: date, amount: int, description: str) -> int:
        key = (account, occurred_on, amount, normal_text(description).casefold())
        n = self._seen.get(key, 0) + 1
        self._seen[key] = n
        return n

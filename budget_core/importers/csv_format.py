"""Bank CSV layouts: preamble, delimiter, header and each column's role, detected; then the rows read.

Reading streams the file three times (encoding check, column statistics, rows), so memory grows
with the rows kept, never with a second copy of the text. Formats are decided from the whole
column, not the first line: "03/04/2026" alone could be either day or month first, and a file
whose every day is 12 or less is refused with a message asking which it is, instead of guessed.
The bytes and encoding are :mod:`.source`'s job, the cells' dates and amounts :mod:`.csv_cells`'.

Errors are ``ValidationError`` naming the line (1-based, as an editor shows it).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace

from ..errors import ValidationError
from . import MAX_ROWS, CsvMapping, OccurrenceCounter, Statement, StatementRow, content_key, normal_text
from .csv_cells import (
    DATE_FORMATS,
    amount_text,
    choose_date_format,
    date_formats_of,
    decimal_evidence,
    parse_bank_amount,
    parse_date,
)
from .source import Source, check_size, detect_encoding, open_text

HEAD_LINES = 40  # the header must be within the first 40 lines (preambles are a few lines)
MAX_COLUMNS = 200  # a line with more cells is neither a bank's header nor one of its rows
DELIMITERS = (",", ";", "\t", "|")

# Header words, best first within each role (compared case-insensitively, without punctuation).
DATE_WORDS = (
    "transaction date",
    "booking date",
    "posting date",
    "posted date",
    "date posted",
    "trans date",
    "buchungstag",
    "buchungsdatum",
    "date",
    "datum",
    "fecha",
    "data",
    "date operation",
)
LATE_DATE_WORDS = ("value date", "valuta", "wertstellung", "valutadatum", "date valeur")
PAYEE_WORDS = (
    "description",
    "payee",
    "merchant",
    "name",
    "auftraggeber",
    "empfanger",
    "beguenstigter",
    "libelle",
    "concepto",
    "counter party",
    "counterparty",
    "transaction description",
)
MEMO_WORDS = (
    "memo",
    "verwendungszweck",
    "narrative",
    "details",
    "reference",
    "text",
    "buchungstext",
    "particulars",
    "beschreibung",
)
AMOUNT_WORDS = ("amount", "betrag", "montant", "importe", "umsatz", "sum", "value")
DEBIT_WORDS = (
    "debit",
    "debits",
    "withdrawal",
    "withdrawals",
    "paid out",
    "money out",
    "soll",
    "ausgang",
    "spent",
    "outflow",
)
CREDIT_WORDS = (
    "credit",
    "credits",
    "deposit",
    "deposits",
    "paid in",
    "money in",
    "haben",
    "eingang",
    "received",
    "inflow",
)
IGNORED_WORDS = ("balance", "saldo", "solde", "kontostand", "running")
ACCOUNT_WORDS = ("account", "account number", "account name", "account no")


# --- the header ------------------------------------------------------------------------------------
def _words(cell: str) -> str:
    folded = cell.casefold().replace("ä", "a").replace("ü", "u").replace("ö", "o").replace("é", "e")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())


def _role_rank(cell: str, words: tuple[str, ...]) -> int | None:
    """Position of the best word that ``cell`` is or starts with (lower is better), else None."""
    w = _words(cell)
    if any(w == x or w.startswith(x + " ") for x in IGNORED_WORDS):
        return None
    for rank, word in enumerate(words):
        if w == word or w.startswith(word + " ") or w.endswith(" " + word):
            return rank
    return None


def _best(header: tuple[str, ...], words: tuple[str, ...], taken: Collection[str] = frozenset()) -> str | None:
    ranked = [
        (r, i, c) for i, c in enumerate(header) if c and c not in taken and (r := _role_rank(c, words)) is not None
    ]
    return min(ranked)[2] if ranked else None


def _is_header(cells: list[str]) -> bool:
    header = tuple(cells)
    has_date = _best(header, DATE_WORDS + LATE_DATE_WORDS) is not None
    has_money = any(_best(header, w) for w in (AMOUNT_WORDS, DEBIT_WORDS, CREDIT_WORDS))
    return has_date and has_money and not any(date_formats_of(c) for c in cells if c)


def _trim(row: list[str]) -> list[str]:
    cells = [c.strip() for c in row]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _rows(lines, delimiter: str) -> Iterator[list[str]]:
    """``csv.reader`` whose errors (a cell over the csv module's 131,072-character limit, a stray
    NUL) are ValidationErrors naming the line."""
    return _rows_of(csv.reader(lines, delimiter=delimiter))


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the table starts: its delimiter, header line (1-based; 0 = no header) and header cells."""

    delimiter: str
    header_line: int
    header: tuple[str, ...]


def sniff_layout(source: Source, encoding: str) -> Layout:
    """Find the header row (skipping a bank's preamble) and the delimiter in the first lines."""
    with open_text(source, encoding) as fh:
        head = [line for _, line in zip(range(HEAD_LINES), fh)]
    best: tuple | None = None
    for delimiter in DELIMITERS:
        rows = [_trim(r) for r in _rows(head, delimiter)]
        for i, cells in enumerate(rows):
            if 3 <= len(cells) <= MAX_COLUMNS and _is_header(cells):
                candidate = (i, -len(cells), delimiter, cells)
                best = min(best, candidate) if best else candidate
                break
    if best is not None:
        i, _, delimiter, cells = best
        return Layout(delimiter, i + 1, tuple(cells))
    # No header words: a headerless export (e.g. date, amount, *, , description) is read by content.
    for delimiter in DELIMITERS:
        rows = [_trim(r) for r in _rows(head, delimiter)]
        for cells in rows:
            if 3 <= len(cells) <= MAX_COLUMNS and any(date_formats_of(c) for c in cells) and _amount_columns(cells):
                return Layout(delimiter, 0, tuple(f"column {n}" for n in range(1, len(cells) + 1)))
    raise ValidationError(
        "No table of transactions found: the first lines have no header with a date and an "
        "amount column. Is this a bank statement exported as CSV?"
    )


def _amount_columns(cells: list[str]) -> list[int]:
    out = []
    for i, c in enumerate(cells):
        try:
            if c and amount_text(c) and re.search(r"[.,-]", c) and not date_formats_of(c):
                out.append(i)
        except ValueError:
            continue
    return out


# --- the mapping ------------------------------------------------------------------------------------
def _data_rows(fh, layout: Layout) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank row after the header."""
    reader = csv.reader(fh, delimiter=layout.delimiter)
    for row in _rows_of(reader):
        if reader.line_num <= layout.header_line:
            continue
        if any(c.strip() for c in row):
            yield reader.line_num, row


def _rows_of(reader) -> Iterator[list[str]]:
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise ValidationError(
                f"Line {reader.line_num}: {err}; this is not a bank statement we can read. "
                "Export it from your bank again as CSV."
            ) from None


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def detect_mapping(
    source: Source, encoding: str, layout: Layout, currency: str, *, date_format: str | None = None, account: str = ""
) -> CsvMapping:
    """Decide each column's role from the header words and the whole file's contents."""
    header = layout.header
    index = {name: i for i, name in enumerate(header)}
    sample: list[list[str]] = []
    with open_text(source, encoding) as fh:
        for _, row in _data_rows(fh, layout):
            sample.append(row)
            if len(sample) >= 50:
                break
    if not sample:
        raise ValidationError("The file has a header but no transactions.")
    taken: set[str] = set()
    date_col = _best(header, DATE_WORDS) or _best(header, LATE_DATE_WORDS)
    if date_col is None or layout.header_line == 0:
        date_col = next((h for h in header if all(date_formats_of(_cell(r, index[h])) for r in sample)), None)
    if date_col is None:
        raise ValidationError("No column holds dates in every row; which column is the date?")
    taken.add(date_col)
    amount = debit = credit = None
    if layout.header_line:
        debit, credit = _best(header, DEBIT_WORDS, taken), _best(header, CREDIT_WORDS, taken)
        amount = _best(header, AMOUNT_WORDS, taken)
        if amount and amount in (debit, credit):
            debit = credit = None
        if not (debit and credit):
            debit = credit = None
            if amount is None:
                raise ValidationError("No amount column found (looked for Amount / Betrag / Debit and Credit …).")
    else:
        amounts = [i for i in _amount_columns(sample[0]) if header[i] != date_col]
        if not amounts:
            raise ValidationError("No column holds amounts in every row.")
        amount = header[amounts[0]]
    taken |= {c for c in (amount, debit, credit) if c}
    account_col = _best(header, ACCOUNT_WORDS, taken) if layout.header_line else None
    if account_col and _words(account_col) not in ACCOUNT_WORDS:
        account_col = None
    taken |= {account_col} if account_col else set()
    description = _description_columns(header, sample, taken, layout.header_line == 0)
    fmt, decimal = _column_formats(
        source,
        encoding,
        layout,
        index[date_col],
        [index[c] for c in (amount, debit, credit) if c],
        date_col,
        date_format,
    )
    return CsvMapping(
        header=header,
        delimiter=layout.delimiter,
        date=date_col,
        date_format=fmt,
        description=description,
        amount=amount,
        debit=debit,
        credit=credit,
        decimal=decimal,
        account_column=account_col,
        account=account,
    )


def _description_columns(header, sample, taken, headerless) -> tuple[str, ...]:
    if not headerless:
        payee, memo = _best(header, PAYEE_WORDS, taken), _best(header, MEMO_WORDS, taken)
        if payee and memo and (_role_rank(memo, MEMO_WORDS) or 0) <= 1:  # payee + memo / Verwendungszweck
            return (payee, memo)
        if payee:
            return (payee,)
        if memo:
            return (memo,)
    index = {h: i for i, h in enumerate(header)}
    free = [h for h in header if h not in taken]
    letters = {h: sum(sum(ch.isalpha() for ch in _cell(r, index[h])) for r in sample) for h in free}
    if not letters or max(letters.values()) == 0:
        raise ValidationError("No column holds descriptions of the transactions.")
    return (max(free, key=lambda h: letters[h]),)


def _column_formats(source, encoding, layout, date_index, money_indexes, date_col, date_format):
    """The date format and decimal separator that fit every row of the file (one streamed pass)."""
    candidates: frozenset[str] | None = None
    seen: dict[str, int] = {}
    evidence: dict[str, int] = {}
    with open_text(source, encoding) as fh:
        for line, row in _data_rows(fh, layout):
            value = _cell(row, date_index)
            if not value:
                continue
            formats = date_formats_of(value)
            for f in formats:
                seen.setdefault(f, line)
            if candidates is None:
                candidates = formats
            elif date_format is None and not (candidates & formats) and candidates:
                best = next(f for f in DATE_FORMATS if f in candidates)
                raise ValidationError(
                    f"Line {line}: '{value}' in column '{date_col}' is not a date in the "
                    f"{best} format of the lines before it."
                )
            else:
                candidates = candidates & formats if date_format is None else candidates
            for i in money_indexes:
                sep = decimal_evidence(_cell(row, i))
                if sep:
                    evidence.setdefault(sep, line)
    if date_format is not None:
        if date_format not in DATE_FORMATS:
            raise ValidationError(f"'{date_format}' is not a date format; use one of {', '.join(DATE_FORMATS)}.")
        fmt = date_format
    else:
        fmt = choose_date_format(candidates or frozenset(), date_col)
    if len(evidence) > 1:
        raise ValidationError(
            f"The amounts mix decimal points (line {evidence['.']}) and decimal commas "
            f"(line {evidence[',']}); the file cannot be read reliably."
        )
    return fmt, next(iter(evidence), ".")


# --- the rows ---------------------------------------------------------------------------------------------
def read_rows(
    source: Source, encoding: str, layout: Layout, mapping: CsvMapping, currency: str, account: str
) -> tuple[list[StatementRow], tuple[int, ...]]:
    """Every transaction of the file, in file order; and the lines skipped (zero amounts, notes)."""
    index = {name: i for i, name in enumerate(mapping.header)}
    missing = [
        c
        for c in (
            mapping.date,
            mapping.amount,
            mapping.debit,
            mapping.credit,
            mapping.account_column,
            *mapping.description,
        )
        if c and c not in index
    ]
    if missing:
        raise ValidationError(f"The bank profile names columns this file does not have: {', '.join(missing)}.")
    di = index[mapping.date]
    desc = [index[c] for c in mapping.description]
    acct = index[mapping.account_column] if mapping.account_column else None
    money = [(index[c], c, sign) for c, sign in ((mapping.amount, 1), (mapping.debit, -1), (mapping.credit, 1)) if c]
    counter = OccurrenceCounter()
    rows: list[StatementRow] = []
    skipped: list[int] = []
    with open_text(source, encoding) as fh:
        for line, row in _data_rows(fh, layout):
            raw_date = _cell(row, di)
            total, any_amount = 0, False
            for i, column, sign in money:
                value = parse_bank_amount(_cell(row, i), mapping.decimal, currency, line, column)
                if value is not None:
                    any_amount = True
                    total += value if sign == 1 and column == mapping.amount else sign * abs(value)
            if not raw_date:
                if not any_amount:
                    skipped.append(line)  # a note or total line without a date
                    continue
                raise ValidationError(f"Line {line} has an amount but no date in column '{mapping.date}'.")
            occurred_on = parse_date(raw_date, mapping.date_format)
            if occurred_on is None:
                raise ValidationError(
                    f"Line {line}: '{raw_date}' in column '{mapping.date}' is not a date in "
                    f"the {mapping.date_format} format."
                )
            if not any_amount:
                raise ValidationError(f"Line {line} has no amount.")
            if total == 0:
                skipped.append(line)
                continue
            description = normal_text(" ".join(_cell(row, i) for i in desc)) or "(no description)"
            row_account = _cell(row, acct) if acct is not None else ""
            scope = f"{account}/{row_account}" if row_account else account
            n = counter.next(scope, occurred_on, total, description)
            key = content_key(scope, occurred_on, total, description, n)
            rows.append(StatementRow(line, occurred_on, total, description, "csv:" + key, key, scope))
            if len(rows) > MAX_ROWS:
                raise ValidationError(f"The file has more than {MAX_ROWS:,} transactions; import it in parts.")
    return rows, tuple(skipped)


def read_csv(
    source: Source,
    file_name: str,
    currency: str,
    *,
    profiles: tuple[CsvMapping, ...] = (),
    date_format: str | None = None,
    account: str | None = None,
) -> Statement:
    """Read a bank CSV. A saved profile with this file's header is used as it is; else it is detected.

    ``account`` names the account in the import ids (default: the profile's, else one derived from
    the layout's header, so a renamed or re-downloaded file keeps its ids).
    """
    check_size(source)
    encoding = detect_encoding(source)
    layout = sniff_layout(source, encoding)
    mapping = next((p for p in profiles if p.header == layout.header and p.delimiter == layout.delimiter), None)
    if mapping is not None and date_format:
        mapping = replace(mapping, date_format=date_format)
    if mapping is None:
        mapping = detect_mapping(
            source, encoding, layout, currency, date_format=date_format, account=account or layout_account(layout)
        )
    elif account:
        mapping = replace(mapping, account=account)
    rows, skipped = read_rows(source, encoding, layout, mapping, currency, mapping.account)
    return Statement(file_name, "csv", rows, None, mapping, encoding, skipped)


def layout_account(layout: Layout) -> str:
    """The default account of a layout: the same header gives the same account, whatever the file name."""
    digest = hashlib.sha256((layout.delimiter + "\x1f".join(layout.header)).encode("utf-8")).hexdigest()
    return "layout-" + digest[:10]

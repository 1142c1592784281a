"""Bank CSV exports: encoding, preamble, delimiter, columns, date format and decimal comma, detected.

Reading streams the file three times (encoding check, column statistics, rows), so memory grows
with the rows kept, never with a second copy of the text. Formats are decided from the whole
column, not the first line: "03/04/2026" alone could be either day or month first, and a file
whose every day is 12 or less is refused with a message asking which it is, instead of guessed.

Errors are ``ValidationError`` naming the line (1-based, as an editor shows it).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Iterator

from ..errors import ValidationError
from ..domain.money import MAX_MINOR, decimals, to_minor
from . import (MAX_FILE_BYTES, MAX_ROWS, CsvMapping, OccurrenceCounter, Statement, StatementRow, content_key,
               normal_text)

Source = bytes | Path

HEAD_LINES = 40  # the header must be within the first 40 lines (preambles are a few lines)
DELIMITERS = (",", ";", "\t", "|")

# key -> (regex, order of the groups as (year, month, day) indexes)
DATE_FORMATS: dict[str, tuple[re.Pattern, tuple[int, int, int]]] = {
    "Y-m-d": (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), (0, 1, 2)),
    "Y/m/d": (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), (0, 1, 2)),
    "Ymd": (re.compile(r"(\d{4})(\d{2})(\d{2})"), (0, 1, 2)),
    "d/m/Y": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), (2, 1, 0)),
    "m/d/Y": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), (2, 0, 1)),
    "d.m.Y": (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})"), (2, 1, 0)),
    "d-m-Y": (re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})"), (2, 1, 0)),
    "m-d-Y": (re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})"), (2, 0, 1)),
    "d/m/y": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2})"), (2, 1, 0)),
    "m/d/y": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2})"), (2, 0, 1)),
    "d.m.y": (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{2})"), (2, 1, 0)),
    "d b Y": (re.compile(r"(\d{1,2})[ -]([A-Za-z]{3})[a-z]*\.?[ -](\d{4})"), (2, 1, 0)),
}
AMBIGUOUS = (("d/m/Y", "m/d/Y"), ("d-m-Y", "m-d-Y"), ("d/m/y", "m/d/y"))
MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                      "nov", "dec"), start=1)}
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$")

# Header words, best first within each role (compared case-insensitively, without punctuation).
DATE_WORDS = ("transaction date", "booking date", "posting date", "posted date", "date posted", "trans date",
              "buchungstag", "buchungsdatum", "date", "datum", "fecha", "data", "date operation")
LATE_DATE_WORDS = ("value date", "valuta", "wertstellung", "valutadatum", "date valeur")
PAYEE_WORDS = ("description", "payee", "merchant", "name", "auftraggeber", "empfanger", "beguenstigter",
               "libelle", "concepto", "counter party", "counterparty", "transaction description")
MEMO_WORDS = ("memo", "verwendungszweck", "narrative", "details", "reference", "text", "buchungstext",
              "particulars", "beschreibung")
AMOUNT_WORDS = ("amount", "betrag", "montant", "importe", "umsatz", "sum", "value")
DEBIT_WORDS = ("debit", "debits", "withdrawal", "withdrawals", "paid out", "money out", "soll", "ausgang",
               "spent", "outflow")
CREDIT_WORDS = ("credit", "credits", "deposit", "deposits", "paid in", "money in", "haben", "eingang",
                "received", "inflow")
IGNORED_WORDS = ("balance", "saldo", "solde", "kontostand", "running")
ACCOUNT_WORDS = ("account", "account number", "account name", "account no")


# --- opening and encodings ---------------------------------------------------------------------
def size_of(source: Source) -> int:
    return len(source) if isinstance(source, (bytes, bytearray)) else Path(source).stat().st_size


def check_size(source: Source) -> None:
    """Refuse a file above MAX_FILE_BYTES before reading it."""
    size = size_of(source)
    if size > MAX_FILE_BYTES:
        raise ValidationError(f"The file is {size / 2**20:.1f} MB; bank files up to {MAX_FILE_BYTES // 2**20} MB "
                              "are accepted. Download a shorter date range and import it in parts.")
    if size == 0:
        raise ValidationError("The file is empty.")


@contextmanager
def open_binary(source: Source) -> Iterator[BinaryIO]:
    if isinstance(source, (bytes, bytearray)):
        yield io.BytesIO(source)
    else:
        with open(source, "rb") as fh:
            yield fh


@contextmanager
def open_text(source: Source, encoding: str) -> Iterator[io.TextIOWrapper]:
    with open_binary(source) as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        try:
            yield text
        finally:
            text.detach()


def detect_encoding(source: Source) -> str:
    """'utf-8-sig', 'utf-16', 'utf-8', 'cp1252' or 'latin-1', from a streamed pass over the bytes.

    A file that is valid UTF-8 in places and broken in others is refused (naming the line): it was
    damaged, and reading it as Latin-1 would silently garble its descriptions.
    """
    with open_binary(source) as fh:
        start = fh.read(4)
        if start.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            _check_utf16(fh)
            return "utf-16"
        else:
            encoding = "utf-8"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        line, saw_multibyte, cp1252_holes = 1, False, False
        while chunk := fh.read(1 << 20):
            if b"\x00" in chunk:
                raise ValidationError("This is not a text file (it contains NUL bytes); export the statement "
                                      "from your bank as CSV or OFX.")
            if encoding != "latin":
                try:
                    decoder.decode(chunk)
                    saw_multibyte = saw_multibyte or not chunk.isascii()
                except UnicodeDecodeError as err:
                    bad_line = line + chunk.count(b"\n", 0, err.start)
                    if saw_multibyte or not chunk[:err.start].isascii():
                        raise ValidationError(
                            f"Line {bad_line} is not valid UTF-8 although the rest of the file is: the file "
                            "looks damaged. Download it from your bank again.") from None
                    encoding = "latin"
            if encoding == "latin":
                cp1252_holes = cp1252_holes or any(b in chunk for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"))
            line += chunk.count(b"\n")
        if encoding in ("utf-8", "utf-8-sig"):  # with a BOM too: a last character cut in half
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise ValidationError(f"The last line ({line}) ends in the middle of a character: the file "
                                      "is cut short. Download it from your bank again.") from None
    if encoding == "latin":
        return "latin-1" if cp1252_holes else "cp1252"
    return encoding


def _check_utf16(fh: BinaryIO) -> None:
    """Refuse UTF-16 text that does not decode (an odd byte, a broken surrogate pair): a damaged file."""
    fh.seek(0)
    decoder = codecs.getincrementaldecoder("utf-16")("strict")
    try:
        while chunk := fh.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ValidationError("The file is UTF-16 text that is damaged or cut short. "
                              "Download it from your bank again.") from None


# --- dates and amounts ---------------------------------------------------------------------------
@lru_cache(maxsize=8192)
def date_formats_of(value: str) -> frozenset[str]:
    """Every format in DATE_FORMATS under which ``value`` is a real calendar date."""
    text = _TIME_SUFFIX.sub("", value.strip())
    return frozenset(key for key in DATE_FORMATS if parse_date(text, key) is not None)


@lru_cache(maxsize=8192)
def parse_date(value: str, fmt: str) -> date | None:
    pattern, order = DATE_FORMATS[fmt]
    m = pattern.fullmatch(_TIME_SUFFIX.sub("", value.strip()))
    if not m:
        return None
    parts = m.groups()
    try:
        year = int(parts[order[0]])
        if year < 100:
            year += 2000
        month_text = parts[order[1]]
        month = MONTHS.get(month_text[:3].lower()) if month_text.isalpha() else int(month_text)
        if month is None:
            return None
        return date(year, month, int(parts[order[2]]))
    except ValueError:
        return None


def choose_date_format(candidates: frozenset[str], column: str) -> str:
    """The one format every value of the column fits; ValidationError when the column is ambiguous."""
    for a, b in AMBIGUOUS:
        if a in candidates and b in candidates:
            raise ValidationError(
                f"The dates in column '{column}' read both as day/month and as month/day (no day is above 12). "
                f"Say which it is: --date-format {a} or --date-format {b} (on the Import page: 'Date format').")
    for key in DATE_FORMATS:
        if key in candidates:
            return key
    raise ValidationError(f"Column '{column}' does not hold dates in one format.")


_AMOUNT_JUNK = re.compile(r"[^\d.,'+\-\s\u00a0\u202f()]")
_PLAIN_AMOUNT = re.compile(r"([+-]?)(\d+(?:[.,]\d+)?)")


def _amount_text(value: str) -> tuple[str, bool] | None:
    """Digits and separators of a bank amount, and whether it is negative; None when empty."""
    s = value.strip()
    if not s:
        return None
    plain = _PLAIN_AMOUNT.fullmatch(s)  # the common case, '-12.50', without the general rules below
    if plain:
        return plain.group(2), plain.group(1) == "-"
    negative = False
    upper = s.upper()
    if upper.endswith((" DR", "DR")) and not upper.endswith("CR"):
        negative, s = True, s[:-2]
    elif upper.endswith("CR"):
        s = s[:-2]
    s = _AMOUNT_JUNK.sub("", s).replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.endswith("-"):
        negative, s = not negative, s[:-1]
    if s[:1] in "+-" and s:
        negative, s = (not negative if s[0] == "-" else negative), s[1:]
    if not re.fullmatch(r"\d[\d.,]*", s or ""):
        raise ValueError(value)
    return s, negative


def decimal_evidence(value: str) -> str | None:
    """'.' or ',' when ``value`` shows which is the decimal separator ('1.234,56', '12,5'), else None."""
    try:
        parsed = _amount_text(value)
    except ValueError:
        return None
    if parsed is None:
        return None
    s = parsed[0]
    if "." in s and "," in s:
        return "." if s.rfind(".") > s.rfind(",") else ","
    for sep in ".,":
        if s.count(sep) == 1 and len(s) - s.index(sep) - 1 in (1, 2):
            return sep
        if s.count(sep) > 1:
            return "," if sep == "." else "."
    return None


def parse_bank_amount(value: str, decimal: str, currency: str, line: int, column: str) -> int | None:
    """Minor units of a bank amount ('-1.234,56', '(12.50)', '12.50-', '$12.50', '12.50 DR'); None if empty."""
    try:
        parsed = _amount_text(value)
    except ValueError:
        raise ValidationError(f"Line {line}: '{value}' in column '{column}' is not an amount.") from None
    if parsed is None:
        return None
    s, negative = parsed
    group = "," if decimal == "." else "."
    s = s.replace(group, "")
    if s.count(decimal) > 1:
        raise ValidationError(f"Line {line}: '{value}' in column '{column}' is not an amount.")
    try:
        number = Decimal(s.replace(decimal, "."))
    except InvalidOperation:
        raise ValidationError(f"Line {line}: '{value}' in column '{column}' is not an amount.") from None
    if number == 0:
        return 0
    places = _places(currency)
    # The fast path only where scaleb is exact: no decimals beyond the currency's and at most 13
    # digits (scaleb rounds to 28 digits: '1.0000000000000000000000000000001' would pass as 1.00).
    scaled = number.scaleb(places) if number.as_tuple().exponent >= -places and number.adjusted() < 13 else None
    if scaled is not None and abs(scaled) <= MAX_MINOR:
        minor = int(scaled)
    else:  # money.to_minor says what is wrong, in the words used everywhere else
        try:
            minor = to_minor(number, currency, shown=value.strip())
        except ValidationError as err:
            raise ValidationError(f"Line {line}: {err.message}") from None
    return -minor if negative else minor


_places = lru_cache(maxsize=16)(decimals)


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


def _best(header: tuple[str, ...], words: tuple[str, ...], taken: set[str] = frozenset()) -> str | None:
    ranked = [(r, i, c) for i, c in enumerate(header) if c and c not in taken
              and (r := _role_rank(c, words)) is not None]
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
        rows = [_trim(r) for r in csv.reader(head, delimiter=delimiter)]
        for i, cells in enumerate(rows):
            if len(cells) >= 3 and _is_header(cells):
                candidate = (i, -len(cells), delimiter, cells)
                best = min(best, candidate) if best else candidate
                break
    if best is not None:
        i, _, delimiter, cells = best
        return Layout(delimiter, i + 1, tuple(cells))
    # No header words: a headerless export (e.g. date, amount, *, , description) is read by content.
    for delimiter in DELIMITERS:
        rows = [_trim(r) for r in csv.reader(head, delimiter=delimiter)]
        for i, cells in enumerate(rows):
            if len(cells) >= 3 and any(date_formats_of(c) for c in cells) and _amount_columns(cells):
                return Layout(delimiter, 0, tuple(f"column {n}" for n in range(1, len(cells) + 1)))
    raise ValidationError("No table of transactions found: the first lines have no header with a date and an "
                          "amount column. Is this a bank statement exported as CSV?")


def _amount_columns(cells: list[str]) -> list[int]:
    out = []
    for i, c in enumerate(cells):
        try:
            if c and _amount_text(c) and re.search(r"[.,-]", c) and not date_formats_of(c):
                out.append(i)
        except ValueError:
            continue
    return out


# --- the mapping ------------------------------------------------------------------------------------
def _data_rows(fh, layout: Layout) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank row after the header."""
    reader = csv.reader(fh, delimiter=layout.delimiter)
    for row in reader:
        if reader.line_num <= layout.header_line:
            continue
        if any(c.strip() for c in row):
            yield reader.line_num, row


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def detect_mapping(source: Source, encoding: str, layout: Layout, currency: str, *,
                   date_format: str | None = None, account: str = "") -> CsvMapping:
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
    fmt, decimal = _column_formats(source, encoding, layout, index[date_col],
                                   [index[c] for c in (amount, debit, credit) if c], date_col, date_format)
    return CsvMapping(header=header, delimiter=layout.delimiter, date=date_col, date_format=fmt,
                      description=description, amount=amount, debit=debit, credit=credit, decimal=decimal,
                      account_column=account_col, account=account)


def _description_columns(header, sample, taken, headerless) -> tuple[str, ...]:
    if not headerless:
        payee, memo = _best(header, PAYEE_WORDS, taken), _best(header, MEMO_WORDS, taken)
        if payee and memo and _role_rank(memo, MEMO_WORDS) <= 1:  # payee + memo / Verwendungszweck
            return (payee, memo)
        if payee or memo:
            return (payee or memo,)
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
                raise ValidationError(f"Line {line}: '{value}' in column '{date_col}' is not a date in the "
                                      f"{best} format of the lines before it.")
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
        raise ValidationError(f"The amounts mix decimal points (line {evidence['.']}) and decimal commas "
                              f"(line {evidence[',']}); the file cannot be read reliably.")
    return fmt, next(iter(evidence), ".")


# --- the rows ---------------------------------------------------------------------------------------------
def read_rows(source: Source, encoding: str, layout: Layout, mapping: CsvMapping, currency: str,
              account: str) -> tuple[list[StatementRow], tuple[int, ...]]:
    """Every transaction of the file, in file order; and the lines skipped (zero amounts, notes)."""
    index = {name: i for i, name in enumerate(mapping.header)}
    missing = [c for c in (mapping.date, mapping.amount, mapping.debit, mapping.credit, mapping.account_column,
                           *mapping.description) if c and c not in index]
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
                raise ValidationError(f"Line {line}: '{raw_date}' in column '{mapping.date}' is not a date in "
                                      f"the {mapping.date_format} format.")
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


def read_csv(source: Source, file_name: str, currency: str, *, profiles: tuple[CsvMapping, ...] = (),
             date_format: str | None = None, account: str | None = None) -> Statement:
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
        mapping = detect_mapping(source, encoding, layout, currency, date_format=date_format,
                                 account=account or layout_account(layout))
    elif account:
        mapping = replace(mapping, account=account)
    rows, skipped = read_rows(source, encoding, layout, mapping, currency, mapping.account)
    return Statement(file_name, "csv", rows, None, mapping, encoding, skipped)


def layout_account(layout: Layout) -> str:
    """The default account of a layout: the same header gives the same account, whatever the file name."""
    digest = hashlib.sha256((layout.delimiter + "\x1f".join(layout.header)).encode("utf-8")).hexdigest()
    return "layout-" + digest[:10]


def default_profile_name(file_name: str) -> str:
    """'Checking_2026-11 (1).csv' -> 'checking': the name without dates, numbers and copies."""
    stem = Path(file_name).stem.casefold()
    words = re.sub(r"[^a-z]+", " ", stem).split()
    return " ".join(words) or "csv"

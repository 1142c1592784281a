"""The cells of a bank CSV: dates in a dozen formats and amounts as banks write them, to minor units.

Pure (the date look-ups are cached): a column's format is decided from every value in it
(``date_formats_of`` for each, then ``choose_date_format``), never from one. Errors are
``ValidationError`` naming the line (1-based, as an editor shows it) and the column.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from ..domain.money import MAX_MINOR, decimals, to_minor
from ..errors import ValidationError

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
MONTHS = {
    m: i
    for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)
}
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$")


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
                f"Say which it is: --date-format {a} or --date-format {b} (on the Import page: 'Date format')."
            )
    for key in DATE_FORMATS:
        if key in candidates:
            return key
    raise ValidationError(f"Column '{column}' does not hold dates in one format.")


_AMOUNT_JUNK = re.compile(r"[^\d.,'+\-\s\u00a0\u202f()]")
_PLAIN_AMOUNT = re.compile(r"([+-]?)(\d+(?:[.,]\d+)?)")


def amount_text(value: str) -> tuple[str, bool] | None:
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
        parsed = amount_text(value)
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
        parsed = amount_text(value)
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
    exponent = number.as_tuple().exponent
    exact = isinstance(exponent, int) and exponent >= -places and number.adjusted() < 13
    scaled = number.scaleb(places) if exact else None
    if scaled is not None and abs(scaled) <= MAX_MINOR:
        minor = int(scaled)
    else:  # money.to_minor says what is wrong, in the words used everywhere else
        try:
            minor = to_minor(number, currency, shown=value.strip())
        except ValidationError as err:
            raise ValidationError(f"Line {line}: {err.message}") from None
    return -minor if negative else minor


_places = lru_cache(maxsize=16)(decimals)

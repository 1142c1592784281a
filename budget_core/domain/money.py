"""Money: integer minor units plus an ISO 4217 currency.

Amounts are never floats. Text typed by a person is parsed with ``Decimal``; a value with more
decimals than its currency has is refused rather than rounded, so nothing is silently changed.
Currency facts (valid codes, decimals, symbols) come from Babel's CLDR data.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import (
    format_currency,
    get_currency_name,
    get_currency_precision,
    get_currency_symbol,
    is_currency,
    list_currencies,
)

from ..errors import ValidationError
from .locale import default_locale

MAX_MINOR = 10**12
"""Largest absolute amount accepted, in minor units (a typo guard, not an accounting limit)."""

_AMOUNT_CHARS = re.compile(r"^[+-]?\s*[0-9][0-9.,'\u2019\s\u00a0\u202f]*$")


def check_currency(code: str) -> str:
    """Return the upper-cased ISO 4217 code, or raise ValidationError."""
    normal = (code or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", normal) or not is_currency(normal):
        raise ValidationError(f"'{code}' is not a currency code we know; use an ISO 4217 code such as USD, EUR or JPY.")
    return normal


def decimals(currency: str) -> int:
    """How many decimals the currency's minor unit has (USD 2, JPY 0, KWD 3)."""
    return get_currency_precision(check_currency(currency))


def symbol(currency: str, locale: str | None = None) -> str:
    """The currency's symbol as ``locale`` writes it (default: the currency's own locale)."""
    code = check_currency(currency)
    return get_currency_symbol(code, locale=locale or default_locale(code))


def currency_name(currency: str) -> str:
    """'US dollars (USD)', 'euros (EUR)': how a message names the family's currency."""
    code = check_currency(currency)
    return f"{get_currency_name(code, count=2, locale='en')} ({code})"


@lru_cache(maxsize=64)
def _own_symbols(currency: str) -> tuple[str, ...]:
    """What a person may write for ``currency`` itself ('$', 'US$', 'USD' for USD), longest first:
    stripping "$" before "CA$" would leave "CA" (a set's order varies with the hash seed)."""
    found = {currency, get_currency_symbol(currency, locale=default_locale(currency))}
    for locale in ("en_US", "en_GB", "en_CA", "en_AU", "de_DE", "fr_FR", "ja_JP"):
        found.add(get_currency_symbol(currency, locale=locale))
    found = {_MARKS.sub("", sym) for sym in found}
    return tuple(sorted(found, key=lambda x: (-len(x), x)))


@lru_cache(maxsize=1)
def _foreign_words() -> frozenset[str]:
    """Letters that name some currency ('EUR', 'CHF', 'kr', 'zł', 'Fr'), upper-cased."""
    words = set()
    for code in list_currencies():
        words.add(code.upper())
        for locale in ("en_US", default_locale(code)):
            sym = get_currency_symbol(code, locale=locale)
            letters = "".join(ch for ch in sym if ch.isalpha())
            if len(letters) >= 2 and letters == sym.replace(".", ""):  # not 'E' (lilangeni): '1e3' is no amount
                words.add(letters.upper())
    return frozenset(words)


def _other_currency(rest: str) -> bool:
    """Whether ``rest`` (the typed text with the family's own symbols taken out) names a currency."""
    if any(unicodedata.category(ch) == "Sc" for ch in rest):
        return True
    words = re.findall(r"[^\W\d_]+", rest)
    return any(len(word) >= 2 and word.upper() in _foreign_words() for word in words)


_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]")
_MARKS = re.compile(r"[\u200e\u200f\u061c]")  # direction marks some locales put around amounts


def _check_space_groups(text: str) -> None:
    """Spaces between digits group thousands: '1 200' and '12 345 678,50', never '2 35'."""
    whole = re.split(r"[.,]", text.strip().lstrip("+-"))[0] if re.search(r"\d\s+\d", text) else ""
    groups = re.split(r"\s+", whole.strip()) if whole else []
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        raise ValueError("bad grouping")


def _normalise_separators(text: str, places: int) -> str:
    """Turn '1.234,56' / '1,234.56' / '15,50' / '1 200' into a plain '1234.56' string."""
    _check_space_groups(text)
    s = _SPACES.sub("", text).replace("'", "").replace("\u2019", "")
    has_dot, has_comma = "." in s, "," in s
    if has_dot and has_comma:
        decimal_sep = "." if s.rfind(".") > s.rfind(",") else ","
        group_sep = "," if decimal_sep == "." else "."
        whole, _, frac = s.rpartition(decimal_sep)
        groups = whole.lstrip("+-").split(group_sep)
        if any(len(g) != 3 for g in groups[1:]) or not groups[0] or len(groups[0]) > 3:
            raise ValueError("bad grouping")
        return whole.replace(group_sep, "") + "." + frac
    sep = "." if has_dot else "," if has_comma else None
    if sep is None:
        return s
    parts = s.split(sep)
    if len(parts) > 2:  # only grouping: 1.234.567
        if any(len(p) != 3 for p in parts[1:]):
            raise ValueError("bad grouping")
        return "".join(parts)
    whole, frac = parts
    if sep == "," and len(frac) == 3 and places < 3 and whole.lstrip("+-"):
        return whole + frac  # "1,234" in a 2-decimal currency groups thousands; "1.234" stays a decimal
    return whole + "." + frac


def parse_amount(text: str, currency: str, *, allow_negative: bool = False) -> int:
    """Parse an amount typed by a person into minor units of ``currency`` — the one parser of
    every box where money is typed (quick entry, edit, plan, fixed expenses, what-if, sign-up).

    Accepts "15", "15.5", "15,50", "1,234.56", "1.234,56", "1 200" (spaces group thousands) and
    the currency's own symbol or code before or after. Refuses another currency's symbol or code
    (naming the family's currency), text, more decimals than the currency has, zero, a negative
    value (unless ``allow_negative``) and anything beyond ``MAX_MINOR``. Raises ValidationError.
    """
    code = check_currency(currency)
    places = decimals(code)
    raw = _MARKS.sub("", (text or "").strip())
    for sym in _own_symbols(code):
        raw = raw.replace(sym, " ")
    raw = raw.strip()
    if not raw:
        raise ValidationError("Enter an amount, for example 15.00.")
    if not _AMOUNT_CHARS.match(raw):
        if _other_currency(raw):
            raise ValidationError(
                f"'{text.strip()}' is in another currency; this family counts in {currency_name(code)}. "
                f"Type the amount in {code}, for example {decimal_string(1500 * 10 ** max(0, places - 2), code)}."
            )
        raise ValidationError(f"'{text}' is not an amount; type digits such as 15 or 15.50.")
    try:
        value = Decimal(_normalise_separators(raw, places))
    except (ValueError, InvalidOperation):
        raise ValidationError(f"'{text}' is not an amount; type digits such as 15 or 15.50.") from None
    return to_minor(value, currency, allow_negative=allow_negative, shown=text)


def to_minor(
    value: Decimal | int | str, currency: str, *, allow_negative: bool = False, shown: str | None = None
) -> int:
    """Convert an exact decimal amount in major units to minor units, refusing extra decimals."""
    places = decimals(currency)
    try:
        dec = Decimal(value)
    except InvalidOperation:
        raise ValidationError(f"'{value}' is not an amount.") from None
    if not dec.is_finite():
        raise ValidationError(f"'{value}' is not an amount.")
    shown = shown if shown is not None else str(value)
    # Exact digit arithmetic, not Decimal.scaleb: that rounds to the context's 28 digits (taking
    # '1.0000000000000000000000000000001' for 1.00) and overflows on exponents such as '1E9999999'.
    negative, digits, raw_exponent = dec.as_tuple()
    if not isinstance(raw_exponent, int):  # 'n', 'N', 'F': NaN or infinity, refused above
        raise ValidationError(f"'{shown}' is not an amount.")
    exponent = raw_exponent
    significant = "".join(map(str, digits)).rstrip("0")
    exponent += len(digits) - len(significant)  # the same value without trailing zeros
    if significant and exponent + places < 0:
        if places == 0:
            raise ValidationError(f"{currency} amounts have no decimals; '{shown}' has some.")
        raise ValidationError(f"{currency} amounts have at most {places} decimals; '{shown}' has more.")
    if not significant:
        raise ValidationError("The amount must not be zero.")
    if negative and not allow_negative:
        raise ValidationError("The amount must be positive; to record money coming back, mark it as a refund.")
    if len(significant) + exponent + places > len(str(MAX_MINOR)):  # more digits than any accepted amount
        raise ValidationError(f"'{shown}' is larger than any household amount we accept; check the number.")
    minor = int(significant) * 10 ** (exponent + places) * (-1 if negative else 1)
    if abs(minor) > MAX_MINOR:
        raise ValidationError(f"'{shown}' is larger than any household amount we accept; check the number.")
    return minor


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units to an exact Decimal in major units."""
    return Decimal(minor).scaleb(-decimals(currency))


def decimal_string(minor: int, currency: str) -> str:
    """Minor units as a plain decimal string with the currency's decimals: 1500 USD -> '15.00'."""
    places = decimals(currency)
    return f"{to_decimal(minor, currency):.{places}f}"


def format_money(minor: int, currency: str, locale: str | None = None) -> str:
    """The one way money is shown to people, in the family's ``locale`` (default: the currency's
    own, :func:`budget_core.domain.locale.default_locale`): '$1,234.50' and '-$3.00' (en_US),
    '1.234,50 €' (de_DE), '¥1,500' (en_JP)."""
    return format_currency(to_decimal(minor, currency), currency, locale=locale or default_locale(currency))

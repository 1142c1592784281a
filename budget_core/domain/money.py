"""Money: integer minor units plus an ISO 4217 currency.

Amounts are never floats. Text typed by a person is parsed with ``Decimal``; a value with more
decimals than its currency has is refused rather than rounded, so nothing is silently changed.
Currency facts (valid codes, decimals, symbols) come from Babel's CLDR data.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision, get_currency_symbol, is_currency

from ..errors import ValidationError

MAX_MINOR = 10**12
"""Largest absolute amount accepted, in minor units (a typo guard, not an accounting limit)."""

_AMOUNT_CHARS = re.compile(r"^[+-]?[0-9][0-9.,' ]*$")


def check_currency(code: str) -> str:
    """Return the upper-cased ISO 4217 code, or raise ValidationError."""
    normal = (code or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", normal) or not is_currency(normal):
        raise ValidationError(f"'{code}' is not a currency code we know; use an ISO 4217 code such as USD, EUR or JPY.")
    return normal


def decimals(currency: str) -> int:
    """How many decimals the currency's minor unit has (USD 2, JPY 0, KWD 3)."""
    return get_currency_precision(check_currency(currency))


def symbol(currency: str) -> str:
    return get_currency_symbol(check_currency(currency), locale="en_US")


def _normalise_separators(text: str, places: int) -> str:
    """Turn '1.234,56' / '1,234.56' / '15,50' into a plain '1234.56' string."""
    s = text.replace(" ", "").replace("'", "").replace("\u00a0", "")
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
    """Parse an amount typed by a person into minor units of ``currency``.

    Accepts "15", "15.5", "15,50", "1,234.56", "1.234,56" and a leading currency symbol.
    Refuses text, more decimals than the currency has, zero, a negative value (unless
    ``allow_negative``) and anything beyond ``MAX_MINOR``. Raises ValidationError.
    """
    places = decimals(currency)
    raw = (text or "").strip()
    # Longest first: stripping "$" before "CA$" would leave "CA" (a set's order varies with the hash seed).
    for sym in sorted({symbol(currency), currency.upper(), "$", "€", "£", "¥"}, key=lambda x: (-len(x), x)):
        raw = raw.replace(sym, "")
    raw = raw.strip()
    if not raw:
        raise ValidationError("Enter an amount, for example 15.00.")
    if not _AMOUNT_CHARS.match(raw):
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


def format_money(minor: int, currency: str) -> str:
    """The one way money is shown to people: '$1,234.50', '-$3.00', '¥1,500'."""
    return format_currency(to_decimal(minor, currency), currency, locale="en_US")

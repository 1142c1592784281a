"""Turning what people type in the UI into values the services take.

Only parsing of form text lives here (amounts through ``budget_core.domain.money.parse_amount``);
the rules themselves stay in ``budget_core``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import available_timezones

from budget_core.domain.money import parse_amount
from budget_core.errors import ValidationError

COMMON_CURRENCIES = (
    "USD",
    "EUR",
    "GBP",
    "CAD",
    "AUD",
    "NZD",
    "CHF",
    "JPY",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "HUF",
    "INR",
    "BRL",
    "MXN",
    "ZAR",
    "SGD",
    "HKD",
    "CNY",
    "KRW",
    "ILS",
    "TRY",
)
_ZERO = re.compile(r"^\s*0+([.,]0*)?\s*$")
_FIXED_LINE = re.compile(r"^(?P<name>.*?\S)\s*[:=\-–]?\s+(?P<amount>[^\s]+)\s*$")


def plan_amount(text: str, currency: str, what: str) -> int:
    """A plan amount in minor units where zero is allowed (a savings goal of 0); empty means 0."""
    if not (text or "").strip() or _ZERO.match(text):
        return 0
    try:
        return parse_amount(text, currency)
    except ValidationError as err:
        raise ValidationError(f"{what.capitalize()}: {err.message}") from None


def fixed_expense_lines(text: str, currency: str) -> list[tuple[str, int]]:
    """Parse lines such as 'Rent 1500' or 'Phone: 35.50' into (name, minor units) pairs."""
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _FIXED_LINE.match(line.strip())
        if not match:
            raise ValidationError(f"Fixed expenses, line {number}: write a name and an amount, like 'Rent 1500'.")
        try:
            amount = parse_amount(match["amount"], currency)
        except ValidationError as err:
            raise ValidationError(f"Fixed expenses, line {number} ('{line.strip()}'): {err.message}") from None
        found.append((match["name"].strip(" :=-–"), amount))
    return found


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """IANA names people pick from (Area/City ones plus UTC), sorted."""
    names = {
        n
        for n in available_timezones()
        if "/" in n
        and not n.startswith(("Etc/", "SystemV/", "posix/", "right/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/"))
    }
    return tuple(sorted(names | {"UTC"}))


def currency_choices(current: str | None = None) -> list[str]:
    choices = list(COMMON_CURRENCIES)
    if current and current not in choices:
        choices.insert(0, current)
    return choices

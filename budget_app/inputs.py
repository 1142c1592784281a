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
_SEPARATOR = " :=-–—\t"


def plan_amount(text: str, currency: str, what: str) -> int:
    """A plan amount in minor units where zero is allowed (a savings goal of 0); empty means 0."""
    if not (text or "").strip() or _ZERO.match(text):
        return 0
    try:
        return parse_amount(text, currency)
    except ValidationError as err:
        raise ValidationError(f"{what.capitalize()}: {err.message}") from None


def split_fixed_line(line: str, currency: str) -> tuple[str, int]:
    """'Daycare 1 200' → ('Daycare', 120000): the name, then the longest ending of the line that the
    amount parser reads (the same ``parse_amount`` as every amount box, so '1 200' is 1,200 here
    too); ValidationError when no ending reads as an amount."""
    words = line.split()
    first_error = None  # why the longest ending with a digit in it is no amount
    for start in range(1, len(words)):  # the longest ending first: '1 200' before '200'
        name = " ".join(words[:start]).strip(_SEPARATOR)
        tail = " ".join(words[start:])
        if not name:
            continue
        try:
            return name, parse_amount(tail, currency)
        except ValidationError as err:
            if first_error is None and any(ch.isdigit() for ch in tail):
                first_error = err
    if first_error is not None:
        raise first_error
    raise ValidationError("write a name and an amount, like 'Rent 1500'.")


def fixed_expense_lines(text: str, currency: str) -> list[tuple[str, int]]:
    """Parse lines such as 'Rent 1500', 'Phone: 35.50' or 'Daycare 1 200' into (name, minor units)."""
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(split_fixed_line(line.strip(), currency))
        except ValidationError as err:
            raise ValidationError(f"Fixed expenses, line {number} ('{line.strip()}'): {err.message}") from None
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

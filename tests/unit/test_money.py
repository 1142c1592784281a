"""Money as a person types it and as the app shows it: integer minor units, never floats."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budget_core.domain.money import (
    MAX_MINOR,
    check_currency,
    decimal_string,
    decimals,
    format_money,
    parse_amount,
    to_minor,
)
from budget_core.errors import ValidationError

ROOT = Path(__file__).resolve().parents[2]

CURRENCIES = ["USD", "EUR", "GBP", "JPY", "KWD", "CHF", "CAD", "AUD", "BRL"]


def test_the_minor_unit_has_the_currencys_decimals():
    assert (decimals("USD"), decimals("JPY"), decimals("KWD"), decimals("EUR")) == (2, 0, 3, 2)


@pytest.mark.parametrize(
    "text, currency, minor",
    [
        ("15", "USD", 1500),
        ("15.5", "USD", 1550),
        ("15.50", "USD", 1550),
        ("15,50", "EUR", 1550),
        ("0.01", "USD", 1),
        ("1,234.56", "USD", 123456),
        ("1.234,56", "EUR", 123456),
        ("1 234,56", "EUR", 123456),
        ("1,234", "USD", 123400),  # a comma before three digits groups thousands in a 2-decimal currency
        ("$15.00", "USD", 1500),
        ("  15.00 USD ", "USD", 1500),
        ("€15,00", "EUR", 1500),
        ("1500", "JPY", 1500),
        ("1,500", "JPY", 1500),
        ("¥1,500", "JPY", 1500),
        ("￥1,500", "JPY", 1500),
        ("1 200", "USD", 120000),  # spaces group thousands, as in 'Daycare 1 200'
        ("12 345 678,50", "EUR", 1234567850),
        ("1\u202f200,50\u00a0€", "EUR", 120050),
        ("12€", "EUR", 1200),
        ("$15", "CAD", 1500),  # Canadians write their dollar '$'
        ("US$5", "USD", 500),
        ("1.234", "KWD", 1234),
        ("0.005", "KWD", 5),
        ("10000000000.00", "USD", MAX_MINOR),  # the largest amount accepted
    ],
)
def test_typed_amounts_become_exact_minor_units(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    "text, currency, fragment",
    [
        ("", "USD", "Enter an amount"),
        ("   ", "USD", "Enter an amount"),
        ("fifteen", "USD", "is not an amount"),
        ("15abc", "USD", "is not an amount"),
        ("1e3", "USD", "is not an amount"),
        ("NaN", "USD", "is not an amount"),
        ("12,34,56", "USD", "is not an amount"),
        ("2 35", "USD", "is not an amount"),  # spaces group thousands only
        ("12 €", "USD", "another currency; this family counts in US dollars \\(USD\\)"),
        ("€12", "USD", "another currency; this family counts in US dollars"),
        ("12 EUR", "USD", "another currency"),
        ("$12", "EUR", "another currency; this family counts in euros \\(EUR\\)"),
        ("CHF 12", "EUR", "another currency"),
        ("12 kr", "USD", "another currency"),
        ("15.001", "USD", "at most 2 decimals"),
        ("0.001", "USD", "at most 2 decimals"),
        ("15.5", "JPY", "JPY amounts have no decimals"),
        ("1.2345", "KWD", "at most 3 decimals"),
        ("0", "USD", "must not be zero"),
        ("0.00", "USD", "must not be zero"),
        ("-0.00", "USD", "must not be zero"),
        ("-5.00", "USD", "mark it as a refund"),
        ("10000000000.01", "USD", "larger than any household amount"),
        ("1000000000001", "JPY", "larger than any household amount"),
    ],
)
def test_amounts_that_cannot_be_taken_as_typed_are_refused_with_a_reason(text, currency, fragment):
    with pytest.raises(ValidationError, match=fragment):
        parse_amount(text, currency)


def test_a_refund_may_be_negative_when_asked_for():
    assert parse_amount("-5.00", "USD", allow_negative=True) == -500
    assert parse_amount("-$5", "USD", allow_negative=True) == -500


def test_a_float_is_never_needed_to_reach_minor_units():
    # 0.1 + 0.2 is the classic float trap; Decimal text stays exact.
    assert parse_amount("0.30", "USD") == 30
    assert to_minor(Decimal("0.1") + Decimal("0.2"), "USD") == 30


@pytest.mark.parametrize("code", ["XYZ", "US", "DOLLAR", "", "12$"])
def test_an_unknown_currency_is_refused_with_examples_of_valid_codes(code):
    with pytest.raises(ValidationError, match="ISO 4217 code such as USD"):
        check_currency(code)


def test_a_currency_code_is_normalised_to_upper_case():
    assert check_currency(" usd ") == "USD"


@pytest.mark.parametrize(
    "minor, currency, shown",
    [
        (123450, "USD", "$1,234.50"),
        (-300, "USD", "-$3.00"),
        (5, "GBP", "£0.05"),
        (1500, "JPY", "￥1,500"),  # Japanese conventions, unless the family writes money otherwise
        (-123456789, "EUR", "-1.234.567,89\u00a0€"),  # the euro's main country: Germany
    ],
)
def test_money_is_shown_with_symbol_grouping_and_the_currencys_decimals(minor, currency, shown):
    assert format_money(minor, currency) == shown


@pytest.mark.parametrize(
    "minor, currency, locale, shown",
    [
        (9012, "EUR", "de_DE", "90,12\u00a0€"),
        (1200, "JPY", "en_JP", "¥1,200"),
        (9012, "EUR", "en_IE", "€90.12"),
        (120050, "EUR", "fr_FR", "1\u202f200,50\u00a0€"),
        (120050, "CHF", "de_CH", "CHF\u00a01'200.50"),
        (-300, "USD", "en_US", "-$3.00"),
    ],
)
def test_money_is_written_the_way_the_familys_locale_writes_it(minor, currency, locale, shown):
    assert format_money(minor, currency, locale) == shown
    assert parse_amount(shown, currency, allow_negative=True) == minor  # and reads back exactly


def test_a_three_decimal_currency_shows_all_three_decimals():
    assert format_money(1234, "KWD", "en_US").endswith("1.234")
    assert decimal_string(5, "KWD") == "0.005"


@pytest.mark.parametrize(
    "minor, currency, text",
    [
        (1500, "USD", "15.00"),
        (-1500, "USD", "-15.00"),
        (1500, "JPY", "1500"),
        (5, "KWD", "0.005"),
        (MAX_MINOR, "USD", "10000000000.00"),
    ],
)
def test_decimal_strings_are_plain_with_exactly_the_currencys_decimals(minor, currency, text):
    assert decimal_string(minor, currency) == text


@st.composite
def decimal_amounts(draw):
    """(currency, a nonzero Decimal within the accepted range with at most the currency's decimals)."""
    currency = draw(st.sampled_from(CURRENCIES))
    places = decimals(currency)
    limit = Decimal(MAX_MINOR).scaleb(-places)
    value = draw(
        st.decimals(min_value=-limit, max_value=limit, places=places, allow_nan=False, allow_infinity=False).filter(
            lambda d: d != 0
        )
    )
    return currency, value


@given(decimal_amounts())
def test_decimal_string_of_a_parsed_decimal_gives_back_the_same_value(case):
    currency, value = case
    places = decimals(currency)
    minor = parse_amount(format(value, "f"), currency, allow_negative=True)
    assert decimal_string(minor, currency) == f"{value:.{places}f}"
    assert Decimal(decimal_string(minor, currency)) == value


@given(st.sampled_from(CURRENCIES), st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR).filter(lambda m: m != 0))
def test_what_the_app_shows_parses_back_to_the_same_minor_units(currency, minor):
    assert parse_amount(format_money(minor, currency), currency, allow_negative=True) == minor
    assert parse_amount(decimal_string(minor, currency), currency, allow_negative=True) == minor


@given(decimal_amounts())
def test_one_decimal_more_than_the_currency_has_is_refused_not_rounded(case):
    currency, value = case
    places = decimals(currency)
    finer = value + Decimal(1).scaleb(-(places + 1)) * (1 if value > 0 else -1)
    with pytest.raises(ValidationError, match="decimals"):
        parse_amount(format(finer, "f"), currency, allow_negative=True)


_PARSE_DOLLAR_SYMBOLS = (
    "from budget_core.domain.money import parse_amount\n"
    "print(parse_amount('CA$15.00', 'CAD'), parse_amount('A$15.00', 'AUD'), parse_amount('R$15,00', 'BRL'))\n"
)


def test_amounts_with_a_dollar_symbol_of_another_country_parse_under_every_hash_seed():
    """The result must not depend on the interpreter's string-hash seed (run under eight seeds)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-W", "ignore", "-c", _PARSE_DOLLAR_SYMBOLS],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(8)
    ]
    results = [(p.wait(timeout=60), p.stdout.read().strip()) for p in procs]
    assert results == [(0, "1500 1500 1500")] * 8

"""Fuzzing what strangers' text and files reach: the amount parser and the bank-file importers.

Whatever a person types into an amount field, ``parse_amount`` answers with an amount or a
``ValidationError`` — never another exception — and an amount it returns is an ``int`` of minor
units within ±``MAX_MINOR``. For amounts written the ways people write them (signs, currency
symbols, thousands separators of four styles, decimal points and commas, huge and tiny numbers) the
result equals the ``Decimal`` the text stands for, built alongside the text.

Whatever bytes arrive as a bank file — random ones, or real CSV and OFX statements cut short,
with bytes flipped, quotes and NULs inserted, dates and amounts replaced by nonsense — the
importers answer with a statement or a ``ValidationError`` (their only typed error), and every
row of a statement they return is a real date with an amount within ±``MAX_MINOR``.

``FUZZ_SCALE`` (default 1) multiplies the number of examples; the default run takes about a
minute on two cores.
"""

from __future__ import annotations

import os
import re
from datetime import date

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from budget_core.domain.money import MAX_MINOR, parse_amount
from budget_core.errors import ValidationError
from budget_core.importers import MAX_FILE_BYTES, Statement
from budget_core.importers.csv_format import read_csv
from budget_core.importers.ofx_format import read_ofx
from budget_core.importers.service import read_statement

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
CURRENCIES = {"JPY": 0, "USD": 2, "EUR": 2, "KWD": 3}  # every kind of minor unit: 0, 2 and 3 decimals
OWN_SYMBOL = {"JPY": "¥", "USD": "$", "EUR": "€", "KWD": "KWD"}  # what people write for the currency itself


def fuzz(n: int) -> settings:
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        derandomize=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )


# --- the amount parser --------------------------------------------------------------------------------
def outcome(text: str, currency: str, allow_negative: bool) -> int | None:
    """The parsed minor units, or None when refused with ValidationError (anything else propagates)."""
    try:
        minor = parse_amount(text, currency, allow_negative=allow_negative)
    except ValidationError:
        return None
    assert type(minor) is int, f"{text!r} -> {minor!r} is not an int"
    assert 0 < abs(minor) <= MAX_MINOR, f"{text!r} -> {minor} is outside ±{MAX_MINOR} or zero"
    assert allow_negative or minor > 0, f"{text!r} -> {minor} is negative although negatives are refused"
    return minor


AMOUNT_CHARS = st.characters(
    codec="utf-8",
    categories=["Nd", "Zs", "Sc", "Pd", "Po"],
    include_characters="0123456789.,'+-$€£¥ \u00a0\u202f\t\n\x00eE",
)
"""Digits of every script, spaces, currency signs, dashes and punctuation: what amounts are made of."""


@fuzz(20000)
@given(
    text=st.one_of(st.text(), st.text(AMOUNT_CHARS, max_size=30)),
    currency=st.sampled_from(sorted(CURRENCIES)),
    allow_negative=st.booleans(),
)
@example(text="1.0000000000000000000000000000001", currency="USD", allow_negative=False)
@example(text="9" * 5000, currency="USD", allow_negative=False)
@example(text="١٢٣", currency="USD", allow_negative=False)
@example(text="１２.５０", currency="EUR", allow_negative=False)
def test_any_text_is_an_amount_or_a_validation_error(text, currency, allow_negative):
    minor = outcome(text, currency, allow_negative)
    if minor is not None and text.isascii():
        # No digit is lost or invented: the amount is the digits typed, with the point placed.
        typed = re.sub(r"\D", "", text).lstrip("0").rstrip("0")
        assert str(abs(minor)).rstrip("0") == typed, f"{text!r} in {currency} -> {minor}"
        assert (minor < 0) == ("-" in text), f"{text!r} -> {minor}: the sign is not the one typed"


def _grouped(whole: int, sep: str) -> str:
    return f"{whole:,}".replace(",", sep)


def _meaning(whole: int, frac: str, group: str | None, point: str, places: int) -> tuple[int, str]:
    """(integer part, decimals) the written amount stands for, by the rules ``parse_amount`` documents.

    Spaces and apostrophes only group. A point and a comma together: the last one is the decimal
    separator. One kind of separator several times: it groups. Alone once: it is the decimal
    separator, except a comma followed by exactly three digits in a currency with fewer than three
    decimals ("1,234" dollars is 1234; "1.234" is always 1.234).
    """
    separators = (len(str(whole)) - 1) // 3 if group in (",", ".") else 0
    if frac and separators:  # 1,234.56 / 1.234,56
        return whole, frac
    if separators >= 2 or (separators == 1 and group == "," and places < 3):  # 1,234,567 / 1.234.567 / 1,234
        return whole, ""
    if separators == 1:  # 1.234 / 1,234 in a 3-decimal currency: a decimal separator after all
        head, tail = divmod(whole, 1000)
        return head, f"{tail:03d}"
    if frac and point == "," and len(frac) == 3 and places < 3:  # 1234,567 dollars
        return int(f"{whole}{frac}"), ""
    return whole, frac


@st.composite
def typed_amounts(draw):
    """(text, currency, integer part, decimals, negative): an amount written as people write it."""
    currency = draw(st.sampled_from(sorted(CURRENCIES)))
    places = CURRENCIES[currency]
    whole = draw(st.one_of(st.integers(0, 999), st.integers(0, 10**13), st.integers(0, 10**40)))
    frac = draw(
        st.one_of(
            st.just(""), st.text("0123456789", min_size=1, max_size=4), st.text("0123456789", min_size=25, max_size=40)
        )
    )
    group, point = draw(
        st.sampled_from([(None, "."), (None, ","), (",", "."), (".", ","), (" ", ","), (" ", "."), ("'", ".")])
    )
    body = (_grouped(whole, group) if group else str(whole)) + (point + frac if frac else "")
    number, decimals = _meaning(whole, frac, group, point, places)
    sign = draw(st.sampled_from(["", "", "-", "+"]))
    symbol = draw(st.sampled_from(["", OWN_SYMBOL[currency], currency]))
    before, after = (symbol, "") if draw(st.booleans()) else ("", symbol)
    pad = draw(st.sampled_from(["", " ", "  "]))
    text = f"{pad}{sign}{before}{body}{pad}{after}" if draw(st.booleans()) else f"{pad}{before}{sign}{body}{after}"
    return text, currency, number, decimals, sign == "-"


@fuzz(10000)
@given(typed=typed_amounts(), allow_negative=st.booleans())
@example(
    typed=("1.0000000000000000000000000000001", "USD", 1, "0000000000000000000000000000001", False),
    allow_negative=False,
)
@example(typed=("1,234", "KWD", 1, "234", False), allow_negative=False)
@example(typed=("1,234", "USD", 1234, "", False), allow_negative=False)
def test_an_amount_written_as_people_write_it_is_read_exactly(typed, allow_negative):
    text, currency, number, decimals, negative = typed
    places = CURRENCIES[currency]
    exact = not decimals[places:].strip("0")  # no more decimals than the currency has, but zeros
    minor = number * 10**places + int(decimals[:places].ljust(places, "0") or 0)
    minor = -minor if negative else minor
    if exact and 0 < abs(minor) <= MAX_MINOR and (allow_negative or minor > 0):
        assert outcome(text, currency, allow_negative) == minor, f"{text!r} in {currency}, expected {minor}"
    else:
        assert outcome(text, currency, allow_negative) is None, f"{text!r} in {currency} must be refused"


@fuzz(3000)
@given(
    typed=typed_amounts(),
    foreign=st.sampled_from(["$", "€", "£", "₹", "CHF", "EUR", "USD", "JPY", "kr"]),
    before=st.booleans(),
)
def test_an_amount_in_another_currency_is_refused_naming_the_familys(typed, foreign, before):
    text, currency, *_ = typed
    if foreign in (OWN_SYMBOL[currency], currency) or (currency == "JPY" and foreign == "¥"):
        return
    bare = text.replace(OWN_SYMBOL[currency], "").replace(currency, "").strip()
    written = f"{foreign}{bare}" if before else f"{bare} {foreign}"
    try:
        parse_amount(written, currency, allow_negative=True)
    except ValidationError as err:
        if any(ch.isdigit() for ch in bare) and re.fullmatch(r"[+\-]?[\d.,' ]+", bare):
            assert "another currency" in err.message or "not an amount" in err.message or "decimals" in err.message
            if "another currency" in err.message:
                assert f"({currency})" in err.message
    else:
        raise AssertionError(f"{written!r} was taken as {currency}")


# --- bank files ---------------------------------------------------------------------------------------
CSV_SAMPLES = [
    (
        "USD",
        b"Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\r\n"
        b'DEBIT,11/05/2026,"SPOTIFY USA 877-778-1161 NY",-9.99,ACH_DEBIT,1234.56,,\r\n'
        b"DEBIT,11/13/2026,WHOLE FOODS MKT #10234,-84.12,DEBIT_CARD,1244.55,,\r\n"
        b'CREDIT,11/14/2026,ACME CORP PAYROLL,"2,600.00",ACH_CREDIT,3844.55,,\r\n',
    ),
    (
        "EUR",
        '"Kontonummer:";"DE12 1203 0000 1234 5678 90 / Girokonto";\n\n'
        '"Buchungstag";"Wertstellung";"Buchungstext";"Auftraggeber / Begünstigter";"Verwendungszweck";'
        '"Betrag (EUR)";\n'
        '"02.10.2026";"02.10.2026";"Lastschrift";"Bäckerei Müller";"Brötchen";"-4,50";\n'
        '"15.10.2026";"15.10.2026";"Gutschrift";"Arbeitgeber GmbH";"Gehalt";"3.250,00";\n'.encode("latin-1"),
    ),
    (
        "GBP",
        b"Number,Date,Account,Amount,Subcategory,Memo\n"
        b",05/11/2026,20-32-06 13152170,-12.40,PAYMENT,TESCO STORES 2931 LONDON\n"
        b",28/11/2026,20-32-06 13152170,-3.10,PAYMENT,PRET A MANGER\n",
    ),
    (
        "USD",
        b"Date,Transaction type,Description,Paid out,Paid in,Balance\n"
        b'2026-11-03,DEB,NETFLIX.COM,$15.49,,"$1,000.00"\n'
        b'2026-11-04,CR,TAX REFUND,,"$1,204.50","$2,204.50"\n',
    ),
    (
        "USD",
        b'"11/05/2026","-25.00","*","","CHECK CRD PURCHASE SHELL OIL 5744"\n'
        b'"11/28/2026","-8.75","*","","PURCHASE AUTHORIZED ON 11/27 CHIPOTLE 1234"\n',
    ),
    (
        "JPY",
        "\ufeffType,Started Date,Description,Amount,Currency\n"
        "CARD_PAYMENT,2026-11-05 14:23:11,Café Zürich,-420,JPY\n"
        "TOPUP,2026-11-07 08:00:00,Top-up,10000,JPY\n".encode("utf-8"),
    ),
]

OFX_V1 = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
    "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX>\n"
    "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20261130120000"
    "<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n"
    "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n"
    "<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000248<ACCTID>123456789<ACCTTYPE>CHECKING</BANKACCTFROM>\n"
    "<BANKTRANLIST><DTSTART>20261101<DTEND>20261130\n"
    "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261105<TRNAMT>-9.99<FITID>A1<NAME>SPOTIFY</STMTTRN>\n"
    "<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261114120000[-5:EST]<TRNAMT>2600.00<FITID>A2<NAME>PAYROLL"
    "<MEMO>November</STMTTRN>\n"
    "</BANKTRANLIST><LEDGERBAL><BALAMT>100.00<DTASOF>20261130</LEDGERBAL></STMTRS></STMTTRNRS>"
    "</BANKMSGSRSV1>\n</OFX>\n"
).encode("ascii")

OFX_V2 = (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
    '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>\n'
    "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>"
    "<DTSERVER>20261130120000</DTSERVER><LANGUAGE>ENG</LANGUAGE></SONRS></SIGNONMSGSRSV1>"
    "<CREDITCARDMSGSRSV1><CCSTMTTRNRS><TRNUID>1</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY>"
    "</STATUS><CCSTMTRS><CURDEF>USD</CURDEF><CCACCTFROM><ACCTID>4111111111111111</ACCTID></CCACCTFROM>"
    "<BANKTRANLIST><DTSTART>20261101</DTSTART><DTEND>20261130</DTEND>"
    "<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20261103</DTPOSTED><TRNAMT>-15.49</TRNAMT>"
    "<FITID>B1</FITID><NAME>NETFLIX.COM</NAME><MEMO>Subscription</MEMO></STMTTRN>"
    "<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20261104</DTPOSTED><TRNAMT>-4,20</TRNAMT>"
    "<FITID>B2</FITID><NAME>Café</NAME></STMTTRN>"
    "</BANKTRANLIST><LEDGERBAL><BALAMT>-250.00</BALAMT><DTASOF>20261130</DTASOF></LEDGERBAL>"
    "</CCSTMTRS></CCSTMTTRNRS></CREDITCARDMSGSRSV1></OFX>\n"
).encode()

OFX_SAMPLES = [("USD", OFX_V1), ("USD", OFX_V2)]

NONSENSE = [
    b"",
    b"\x00",
    b'"',
    b'""',
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\r",
    b"\n\n\n",
    b";;;;",
    b"\t",
    b"-",
    b"1E9999999",
    b"sNaN",
    b"NaN",
    b"-Infinity",
    b"99999999999999999999999",
    b"0.0000000000000000000000001",
    b"1.0000000000000000000000000000001",
    b"2026-02-30",
    b"31/31/2026",
    b"99999999",
    b"00000000",
    b"<STMTTRN>",
    b"</OFX>",
    b"<OFX>",
    b"OFXHEADER:100\n",
    b"&#0;",
    b"&amp;",
    b"<![CDATA[",
    b"\xc3",
    "é".encode("utf-16"),
    b"=cmd|' /C calc'!A0",
    b"1,2,3,4,5,6,7,8,9,0",
]


@st.composite
def corrupted(draw, samples):
    """A real bank file with a few of the things that happen to files done to it."""
    currency, data = draw(st.sampled_from(samples))
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        what = draw(st.sampled_from(["cut", "flip", "insert", "replace_token", "delete", "duplicate_line"]))
        if what == "cut":
            del data[at:]
        elif what == "flip" and data:
            data[min(at, len(data) - 1)] ^= 1 << draw(st.integers(0, 7))
        elif what == "insert":
            data[at:at] = draw(st.sampled_from(NONSENSE))
        elif what == "delete":
            del data[at : at + draw(st.integers(1, 20))]
        elif what == "duplicate_line":
            line = bytes(data).split(b"\n")
            if line:
                n = draw(st.integers(0, len(line) - 1))
                line.insert(n, line[n] * draw(st.integers(1, 3)))
                data = bytearray(b"\n".join(line))
        else:  # a date or an amount or a tag's value replaced by nonsense
            tokens = list(re.finditer(rb"\d[\d./,:-]*\d|\d|>[^<\n]*", bytes(data)))
            if tokens:
                m = draw(st.sampled_from(tokens))
                data[m.start() : m.end()] = draw(st.sampled_from(NONSENSE))
    return currency, bytes(data)


def check_statement(statement: Statement) -> None:
    for row in statement.rows:
        assert isinstance(row.occurred_on, date)
        assert type(row.amount) is int and 0 < abs(row.amount) <= MAX_MINOR, row
        assert isinstance(row.description, str) and row.description and "\x00" not in row.description, row


def read_or_refuse(reader, data: bytes, currency: str, name: str) -> None:
    """The reader returns a statement of sane rows or raises ValidationError; anything else propagates."""
    try:
        statement = reader(data, name, currency)
    except ValidationError as err:
        assert str(err), "a refusal must say why"
        return
    check_statement(statement)


def statement_of(data: bytes, name: str, currency: str) -> Statement:
    return read_statement(name, data, currency)


@fuzz(20000)
@given(data=st.binary(max_size=3000), currency=st.sampled_from(sorted(CURRENCIES)))
def test_random_bytes_are_a_statement_or_a_validation_error(data, currency):
    read_or_refuse(read_csv, data, currency, "bank.csv")
    read_or_refuse(read_ofx, data, currency, "bank.ofx")
    read_or_refuse(statement_of, data, currency, "bank.dat")


@fuzz(15000)
@given(sample=corrupted(CSV_SAMPLES))
def test_a_damaged_csv_statement_is_read_or_refused_with_a_validation_error(sample):
    currency, data = sample
    read_or_refuse(read_csv, data, currency, "bank.csv")


@fuzz(15000)
@given(sample=corrupted(OFX_SAMPLES))
@example(sample=("USD", OFX_V1.replace(b"-9.99", b"1E9999999")))
@example(sample=("USD", OFX_V1.replace(b"-9.99", b"sNaN")))
@example(sample=("USD", OFX_V2.replace(b"-15.49", b"1.0000000000000000000000000000001")))
def test_a_damaged_ofx_statement_is_read_or_refused_with_a_validation_error(sample):
    currency, data = sample
    read_or_refuse(read_ofx, data, currency, "bank.ofx")
    read_or_refuse(statement_of, data, currency, "bank.qfx")


def test_the_samples_themselves_are_read():
    """The corruption tests start from files the importers read."""
    for currency, data in CSV_SAMPLES:
        assert read_csv(data, "bank.csv", currency).rows
    for currency, data in OFX_SAMPLES:
        assert len(read_ofx(data, "bank.ofx", currency).rows) == 2
    assert len(OFX_V1) < MAX_FILE_BYTES

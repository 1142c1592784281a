"""Reading bank files: CSV layouts of several banks, OFX 1.x and 2.x, and the files we refuse.

Every sample is written here, in the shape the bank exports it. No database.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from budget_core.errors import ValidationError
from budget_core.importers import MAX_FILE_BYTES
from budget_core.importers.csv_cells import decimal_evidence, parse_bank_amount
from budget_core.importers.csv_format import read_csv
from budget_core.importers.ofx_format import read_ofx
from budget_core.importers.rules import Rule, RuleBook, check_pattern, suggest_pattern
from budget_core.importers.service import read_statement

# --- samples as banks write them ---------------------------------------------------------------------
CHASE = (  # US checking: m/d/Y, signed amount, a trailing comma on every data row
    "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\r\n"
    'DEBIT,11/05/2026,"SPOTIFY USA 877-778-1161 NY",-9.99,ACH_DEBIT,1234.56,,\r\n'
    "DEBIT,11/13/2026,WHOLE FOODS MKT #10234,-84.12,DEBIT_CARD,1244.55,,\r\n"
    'CREDIT,11/14/2026,ACME CORP PAYROLL,"2,600.00",ACH_CREDIT,3844.55,,\r\n'
)

DKB = (  # German giro account: preamble, ';', d.m.Y, decimal comma, payee + purpose, Latin-1
    '"Kontonummer:";"DE12 1203 0000 1234 5678 90 / Girokonto";\n'
    '"Von:";"01.10.2026";\n'
    '"Bis:";"31.10.2026";\n'
    '"Kontostand vom 31.10.2026:";"1.234,56 EUR";\n'
    "\n"
    '"Buchungstag";"Wertstellung";"Buchungstext";"Auftraggeber / Begünstigter";"Verwendungszweck";'
    '"Kontonummer";"BLZ";"Betrag (EUR)";"Gläubiger-ID";\n'
    '"02.10.2026";"02.10.2026";"Lastschrift";"Bäckerei Müller";"Brötchen";"DE99";"1001";"-4,50";"";\n'
    '"15.10.2026";"15.10.2026";"Gutschrift";"Arbeitgeber GmbH";"Gehalt Oktober";"DE98";"1002";"3.250,00";"";\n'
    '"20.10.2026";"20.10.2026";"Lastschrift";"Vermieter";"Miete";"DE97";"1003";"-1.100,00";"";\n'
)

BARCLAYS = (  # UK: d/m/Y, an Account column, memo as the description
    "Number,Date,Account,Amount,Subcategory,Memo\n"
    ",05/11/2026,20-32-06 13152170,-12.40,PAYMENT,TESCO STORES 2931 LONDON\n"
    ",28/11/2026,20-32-06 13152170,-3.10,PAYMENT,PRET A MANGER\n"
)

PAID_IN_OUT = (  # separate debit / credit columns with a currency sign and thousands separators
    "Date,Transaction type,Description,Paid out,Paid in,Balance\n"
    '2026-11-03,DEB,NETFLIX.COM,$15.49,,"$1,000.00"\n'
    '2026-11-04,CR,TAX REFUND,,"$1,204.50","$2,204.50"\n'
)

REVOLUT = (  # ISO timestamps, UTF-8 with a BOM
    "Type,Product,Started Date,Completed Date,Description,Amount,Fee,Currency,State,Balance\n"
    "CARD_PAYMENT,Current,2026-11-05 14:23:11,2026-11-06 09:00:00,Café Zürich,-4.20,0.00,USD,COMPLETED,95.80\n"
    "TOPUP,Current,2026-11-07 08:00:00,2026-11-07 08:00:01,Top-up by *1234,100.00,0.00,USD,COMPLETED,195.80\n"
)

WELLS = (  # no header at all: date, amount, *, check number, description
    '"11/05/2026","-25.00","*","","CHECK CRD PURCHASE SHELL OIL 5744"\n'
    '"11/28/2026","-8.75","*","","PURCHASE AUTHORIZED ON 11/27 CHIPOTLE 1234"\n'
)


def ofx_v1(*txs, acctid="123456789", currency="USD") -> bytes:
    body = "".join(
        f"<STMTTRN><TRNTYPE>{'DEBIT' if amt.startswith('-') else 'CREDIT'}<DTPOSTED>{on}"
        f"<TRNAMT>{amt}<FITID>{fitid}<NAME>{name}</STMTTRN>\n"
        for fitid, on, amt, name in txs
    )
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
        "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX>\n"
        "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20261130120000"
        "<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n"
        "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n"
        f"<STMTRS><CURDEF>{currency}<BANKACCTFROM><BANKID>121000248<ACCTID>{acctid}<ACCTTYPE>CHECKING"
        "</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20261101<DTEND>20261130\n"
        + body
        + "</BANKTRANLIST><LEDGERBAL><BALAMT>100.00<DTASOF>20261130</LEDGERBAL></STMTRS></STMTTRNRS>"
        "</BANKMSGSRSV1>\n</OFX>\n"
    ).encode("ascii")


def ofx_v2_card(*txs) -> bytes:
    body = "".join(
        f"<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>{on}</DTPOSTED><TRNAMT>{amt}</TRNAMT>"
        f"<FITID>{fitid}</FITID><NAME>{name}</NAME><MEMO>{memo}</MEMO></STMTTRN>"
        for fitid, on, amt, name, memo in txs
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>\n'
        "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>"
        "<DTSERVER>20261130120000</DTSERVER><LANGUAGE>ENG</LANGUAGE></SONRS></SIGNONMSGSRSV1>"
        "<CREDITCARDMSGSRSV1><CCSTMTTRNRS><TRNUID>1</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY>"
        "</STATUS><CCSTMTRS><CURDEF>USD</CURDEF><CCACCTFROM><ACCTID>4111111111111111</ACCTID></CCACCTFROM>"
        "<BANKTRANLIST><DTSTART>20261101</DTSTART><DTEND>20261130</DTEND>"
        + body
        + "</BANKTRANLIST><LEDGERBAL><BALAMT>-250.00</BALAMT><DTASOF>20261130</DTASOF></LEDGERBAL>"
        "</CCSTMTRS></CCSTMTTRNRS></CREDITCARDMSGSRSV1></OFX>\n"
    ).encode("utf-8")


def rows_of(statement):
    return [(r.occurred_on, r.amount, r.description) for r in statement.rows]


# --- CSV layouts ------------------------------------------------------------------------------------
def test_a_us_checking_export_reads_month_first_dates_and_signed_amounts():
    st = read_csv(CHASE.encode(), "Chase1234_Activity.CSV", "USD")
    assert rows_of(st) == [
        (date(2026, 11, 5), -999, "SPOTIFY USA 877-778-1161 NY"),
        (date(2026, 11, 13), -8412, "WHOLE FOODS MKT #10234"),
        (date(2026, 11, 14), 260000, "ACME CORP PAYROLL"),
    ]
    m = st.mapping
    assert (m.date, m.date_format, m.amount, m.description, m.decimal) == (
        "Posting Date",
        "m/d/Y",
        "Amount",
        ("Description",),
        ".",
    )


def test_a_german_export_skips_the_preamble_and_reads_decimal_commas_in_latin1():
    st = read_csv(DKB.encode("latin-1"), "umsaetze.csv", "EUR")
    assert st.encoding in ("cp1252", "latin-1")
    assert rows_of(st) == [
        (date(2026, 10, 2), -450, "Bäckerei Müller Brötchen"),
        (date(2026, 10, 15), 325000, "Arbeitgeber GmbH Gehalt Oktober"),
        (date(2026, 10, 20), -110000, "Vermieter Miete"),
    ]
    m = st.mapping
    assert (m.delimiter, m.date, m.date_format, m.amount, m.decimal) == (
        ";",
        "Buchungstag",
        "d.m.Y",
        "Betrag (EUR)",
        ",",
    )
    assert m.description == ("Auftraggeber / Begünstigter", "Verwendungszweck")
    assert all(r.line >= 7 for r in st.rows) and st.rows[0].line == 7


def test_a_uk_export_reads_day_first_dates_and_keeps_each_rows_account():
    st = read_csv(BARCLAYS.encode(), "barclays.csv", "GBP")
    assert rows_of(st) == [
        (date(2026, 11, 5), -1240, "TESCO STORES 2931 LONDON"),
        (date(2026, 11, 28), -310, "PRET A MANGER"),
    ]
    assert st.mapping.date_format == "d/m/Y" and st.mapping.account_column == "Account"
    assert st.rows[0].account.endswith("/20-32-06 13152170")


def test_paid_out_and_paid_in_columns_become_one_signed_amount():
    st = read_csv(PAID_IN_OUT.encode(), "statement.csv", "USD")
    assert rows_of(st) == [(date(2026, 11, 3), -1549, "NETFLIX.COM"), (date(2026, 11, 4), 120450, "TAX REFUND")]
    assert (st.mapping.debit, st.mapping.credit, st.mapping.amount) == ("Paid out", "Paid in", None)


def test_utf8_with_bom_and_timestamps():
    st = read_csv(b"\xef\xbb\xbf" + REVOLUT.encode(), "revolut.csv", "USD")
    assert st.encoding == "utf-8-sig"
    assert rows_of(st) == [(date(2026, 11, 5), -420, "Café Zürich"), (date(2026, 11, 7), 10000, "Top-up by *1234")]
    assert st.mapping.date == "Started Date"


def test_a_headerless_export_is_read_by_its_contents():
    st = read_csv(WELLS.encode(), "wells.csv", "USD")
    assert rows_of(st) == [
        (date(2026, 11, 5), -2500, "CHECK CRD PURCHASE SHELL OIL 5744"),
        (date(2026, 11, 28), -875, "PURCHASE AUTHORIZED ON 11/27 CHIPOTLE 1234"),
    ]


def test_dates_that_read_both_ways_are_refused_until_the_format_is_given():
    both_ways = "Date,Description,Amount\n03/04/2026,A,-1.00\n05/06/2026,B,-2.00\n"
    with pytest.raises(ValidationError) as err:
        read_csv(both_ways.encode(), "x.csv", "USD")
    assert "--date-format d/m/Y" in str(err.value) and "m/d/Y" in str(err.value)
    st = read_csv(both_ways.encode(), "x.csv", "USD", date_format="d/m/Y")
    assert [r.occurred_on for r in st.rows] == [date(2026, 4, 3), date(2026, 6, 5)]


def test_one_late_day_decides_the_whole_column():
    # 03/04 alone is ambiguous; 13/04 further down says the column is day first
    text = "Date,Description,Amount\n03/04/2026,A,-1.00\n" + "04/04/2026,B,-1.00\n" * 50 + "13/04/2026,C,-1.00\n"
    st = read_csv(text.encode(), "x.csv", "USD")
    assert st.mapping.date_format == "d/m/Y" and st.rows[0].occurred_on == date(2026, 4, 3)


def test_a_bad_row_is_named_by_its_line():
    text = CHASE.replace("-84.12", "eighty")
    with pytest.raises(ValidationError, match=r"Line 3: 'eighty' in column 'Amount' is not an amount"):
        read_csv(text.encode(), "chase.csv", "USD")
    text = "Date,Description,Amount\n2026-11-01,A,-1.00\n2026-11-31,B,-2.00\n"
    with pytest.raises(ValidationError, match=r"Line 3: '2026-11-31'"):
        read_csv(text.encode(), "x.csv", "USD")
    text = "Date,Description,Amount\n2026-11-01,A,-1.005\n"
    with pytest.raises(ValidationError, match=r"Line 2: USD amounts have at most 2 decimals"):
        read_csv(text.encode(), "x.csv", "USD")


def test_genuine_twins_in_one_file_get_different_ids_and_a_re_read_gives_the_same_ids():
    text = "Date,Description,Amount\n2026-11-01,COFFEE,-3.50\n2026-11-01,COFFEE,-3.50\n2026-11-02,COFFEE,-3.50\n"
    first = read_csv(text.encode(), "a.csv", "USD")
    ids = [r.import_id for r in first.rows]
    assert len(set(ids)) == 3
    assert [r.import_id for r in read_csv(text.encode(), "renamed (1).csv", "USD").rows] == ids
    # an overlapping download: the same rows keep their ids
    later = (
        "Date,Description,Amount\n2026-11-01,COFFEE,-3.50\n2026-11-01,COFFEE,-3.50\n2026-11-02,COFFEE,-3.50\n"
        "2026-11-03,BOOKS,-12.00\n"
    )
    assert [r.import_id for r in read_csv(later.encode(), "b.csv", "USD").rows][:3] == ids


def test_totals_and_notes_without_a_date_or_amount_are_skipped_zero_rows_too():
    text = "Date,Description,Amount\n2026-11-01,A,-1.00\n2026-11-02,Info,0.00\n,Total,\n"
    st = read_csv(text.encode(), "x.csv", "USD")
    assert len(st.rows) == 1 and st.skipped_lines == (3, 4)


@pytest.mark.parametrize(
    "text, minor",
    [
        ("-1.234,56", -123456),
        ("1,234.56", 123456),
        ("(12.50)", -1250),
        ("12.50-", -1250),
        ("$-12.50", -1250),
        ("-$12.50", -1250),
        ("12.50 DR", -1250),
        ("12.50 CR", 1250),
        ("EUR 7,5", 750),
        ("1 234,50", 123450),
    ],
)
def test_bank_amount_shapes(text, minor):
    decimal = decimal_evidence(text) or "."
    assert parse_bank_amount(text, decimal, "USD", 1, "Amount") == minor


def test_a_column_mixing_decimal_points_and_commas_is_refused():
    text = 'Date,Description,Amount\n2026-11-01,A,"-1,50"\n2026-11-02,B,-2.50\n'
    with pytest.raises(ValidationError, match="mix decimal points"):
        read_csv(text.encode(), "x.csv", "USD")


# --- OFX --------------------------------------------------------------------------------------------
def test_ofx_1_sgml_reads_fitids_scoped_by_account_and_the_bank_date():
    data = ofx_v1(("A1", "20261105200000[-5:EST]", "-9.99", "SPOTIFY"), ("A2", "20261106", "2600.00", "PAYROLL"))
    st = read_ofx(data, "checking.ofx", "USD")
    assert rows_of(st) == [(date(2026, 11, 5), -999, "SPOTIFY"), (date(2026, 11, 6), 260000, "PAYROLL")]
    other_account = read_ofx(ofx_v1(("A1", "20261105", "-9.99", "SPOTIFY"), acctid="999"), "savings.ofx", "USD")
    assert st.rows[0].import_id.endswith(":A1") and st.rows[0].import_id != other_account.rows[0].import_id
    assert "123456789" not in st.rows[0].import_id


def test_ofx_2_xml_credit_card_statement_joins_name_and_memo():
    data = ofx_v2_card(
        ("T1", "20261103", "-15.49", "NETFLIX.COM", "Subscription"),
        ("T2", "20261104", "-15.49", "NETFLIX.COM", "Subscription"),
    )
    st = read_statement("card.qfx", data, "USD")
    assert st.format == "ofx"
    assert rows_of(st) == [
        (date(2026, 11, 3), -1549, "NETFLIX.COM Subscription"),
        (date(2026, 11, 4), -1549, "NETFLIX.COM Subscription"),
    ]


def test_an_ofx_statement_in_another_currency_is_refused():
    with pytest.raises(ValidationError, match="in EUR but the family budgets in USD"):
        read_ofx(ofx_v1(("A1", "20261105", "-1.00", "X"), currency="EUR"), "x.ofx", "USD")


def test_a_broken_ofx_file_says_what_it_is():
    data = ofx_v1(("A1", "20261105", "-1.00", "X"))
    for cut in (0.5, 0.66, 0.9):  # cut short by a failed download
        with pytest.raises(ValidationError, match="is cut short"):
            read_statement("x.ofx", data[: int(len(data) * cut)], "USD")
    with pytest.raises(ValidationError, match="not an OFX file we can read"):
        read_statement("x.ofx", data.replace(b"</STMTTRN>", b"</STMTTRN>stray text"), "USD")
    with pytest.raises(ValidationError, match=r"Transaction 1 \(FITID A1\) has no valid posting date"):
        read_statement("x.ofx", data.replace(b"<DTPOSTED>20261105", b"<DTPOSTED>2026"), "USD")


# --- files we refuse --------------------------------------------------------------------------------
def test_wrong_formats_are_refused_with_what_to_do_instead():
    with pytest.raises(ValidationError, match="PDF statement"):
        read_statement("s.pdf", b"%PDF-1.7 ...", "USD")
    with pytest.raises(ValidationError, match="spreadsheet"):
        read_statement("s.xlsx", b"PK\x03\x04" + b"\x00" * 100, "USD")
    with pytest.raises(ValidationError, match="No table of transactions"):
        read_statement("notes.txt", b"Dear customer,\nthank you for banking with us.\n", "USD")
    with pytest.raises(ValidationError, match="not a text file"):
        read_statement("x.csv", b"Date,Amount\n\x00\x01\x02", "USD")


def test_broken_utf8_names_the_line():
    good = "Date,Description,Amount\n2026-11-01,Café,-1.00\n".encode()
    with pytest.raises(ValidationError, match=r"Line 3 is not valid UTF-8"):
        read_statement("x.csv", good + b"2026-11-02,Caf\xe9 \xff,-2.00\n", "USD")


def test_a_file_above_the_limit_is_refused_before_it_is_read(tmp_path: Path):
    big = tmp_path / "huge.csv"
    with open(big, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(ValidationError, match="MB are accepted"):
        read_statement("huge.csv", big, "USD")


# --- rules --------------------------------------------------------------------------------------------
def _rule(i, pattern, regex=False, position=None):
    return Rule(i, position or i, pattern, regex, 10 + i, f"Cat{i}", None, None)


def test_the_first_matching_rule_in_order_decides():
    book = RuleBook([_rule(2, "coffee"), _rule(1, r"^STARBUCKS\b", regex=True), _rule(3, "star")])
    assert book.first_match("starbucks coffee #123").id == 1
    assert book.first_match("STAR MARKET").id == 3
    assert book.first_match("rent") is None


@pytest.mark.parametrize(
    "description, pattern",
    [
        ("SPOTIFY USA 877-778-1161 NY", "SPOTIFY"),
        ("POS VISA SPOTIFY P1234 STOCKHOLM", "SPOTIFY"),
        ("SQ *BLUE BOTTLE COFFEE", "BLUE"),
        ("AMZN Mktp US*2K3", "AMZN"),
        ("BP 1234 SHELL", "SHELL"),
        ("12345", "12345"),
    ],
)
def test_a_rule_suggested_from_a_correction_keeps_the_merchant(description, pattern):
    assert suggest_pattern(description) == pattern


def test_a_regex_that_does_not_compile_is_refused():
    with pytest.raises(ValidationError, match="not a regular expression"):
        check_pattern("(unclosed", True)
    assert check_pattern("  spotify   premium ", False) == "spotify premium"

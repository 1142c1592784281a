"""The export reads back, with Polars or pandas, to the same totals the app shows, to the cent."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
import polars as pl
import pytest

from budget_core import analytics
from budget_core.analytics import export
from budget_core.errors import PermissionDenied, ValidationError
from budget_core.services import budgets, categories, families, transactions
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionDraft

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
ON = date(2026, 11, 25)


@pytest.fixture
def ledger(home):
    fam, mom, dad = home.family.id, home.mom, home.dad
    categories.add_category(open_family(home.engine, mom.id, fam), "Coffee", parent="Dining")
    rows = [
        (mom, "Housing", 150000, "Rent", date(2026, 11, 1), False),
        (mom, "Salary", 520000, "Salary", date(2026, 11, 1), False),
        (dad, "Groceries", 12345, '=HYPERLINK("http://x","click")', date(2026, 11, 2), False),
        (dad, "Groceries", 350, "+1 bag", date(2026, 11, 3), True),  # a refund: -3.50
        (mom, "Dining › Coffee", 1, '@coffee, "large"', date(2026, 11, 20), False),
        (mom, "Dining", 9999, "-minus start", date(2026, 11, 25), False),
        (dad, "Savings", 20000, "Savings", date(2026, 11, 24), False),
        (dad, "Transport", 700, "Bus", date(2026, 10, 31), False),
    ]
    for who, category, amount, description, day, refund in rows:
        transactions.add_transaction(
            open_family(home.engine, who.id, fam),
            TransactionDraft(amount, description, category, day, refund=refund),
            now=NOW,
        )
    return home


def _service_totals(home, date_from, date_to) -> dict[str, int]:
    """The totals as the app computes them (the daily budget's kind summaries), in minor units."""
    budget = budgets.daily_budget(home.access(), date_to).budget
    assert budget.period_start == date_from
    return {s.kind: s.actual for s in budget.spent_by_kind}


def test_csv_round_trip_gives_the_service_totals_to_the_cent(ledger, tmp_path):
    path = tmp_path / "nov.csv"
    n = export.export_transactions(ledger.access(), path, "csv", date(2026, 11, 1), ON)
    assert n == 7  # Oct 31 left out, Nov 25 kept: both ends inclusive
    back = pl.read_csv(path, schema_overrides={"amount": pl.Decimal(18, 2)})
    assert list(back.columns) == list(export.COLUMNS)
    by_kind = dict(
        back.group_by("kind")
        .agg(pl.col("amount").sum(), pl.col("amount_minor").sum())
        .select("kind", pl.struct("amount", "amount_minor"))
        .iter_rows()
    )
    for kind, actual in _service_totals(ledger, date(2026, 11, 1), ON).items():
        assert by_kind[kind]["amount_minor"] == actual
        assert by_kind[kind]["amount"] == Decimal(actual) / 100


def test_pandas_reads_the_same_totals(ledger, tmp_path):
    path = tmp_path / "all.csv"
    export.export_transactions(ledger.access(), path)
    frame = pd.read_csv(path, dtype={"amount": str})
    assert frame["amount_minor"].sum() == 150000 + 520000 + 12345 - 350 + 1 + 9999 + 20000 + 700
    assert sum(Decimal(a) for a in frame["amount"]) == Decimal("7126.95")


def test_parquet_round_trip_is_exact_decimal(ledger, tmp_path):
    path = tmp_path / "nov.parquet"
    n = export.export_transactions(ledger.access(), path, "parquet", date(2026, 11, 1), ON)
    back = pl.read_parquet(path)
    assert n == back.height == 7
    assert back.schema["amount"] == pl.Decimal(18, 2) and back.schema["amount_minor"] == pl.Int64
    assert back.schema["occurred_on"] == pl.Date
    variable = back.filter(pl.col("kind") == "variable")
    actual = _service_totals(ledger, date(2026, 11, 1), ON)["variable"]
    assert variable.get_column("amount_minor").sum() == actual
    assert variable.get_column("amount").sum() == Decimal(actual) / 100
    assert back.filter(pl.col("amount_minor") == -350).get_column("description").to_list() == ["+1 bag"]


def test_csv_neutralises_formulas_but_keeps_amounts_numeric(ledger):
    data = export.export_bytes(ledger.access(), "csv", date(2026, 11, 1), ON)
    rows = {r["amount_minor"]: r for r in csv.DictReader(io.StringIO(data.decode("utf-8")))}
    assert rows["12345"]["description"] == '\'=HYPERLINK("http://x","click")'
    assert rows["-350"]["description"] == "'+1 bag" and rows["-350"]["amount"] == "-3.50"
    assert rows["1"]["description"] == '\'@coffee, "large"' and rows["1"]["amount"] == "0.01"
    assert rows["9999"]["description"] == "'-minus start"
    assert rows["1"]["category"] == "Coffee" and rows["1"]["parent_category"] == "Dining"
    assert rows["150000"]["parent_category"] == "" and rows["150000"]["currency"] == "USD"
    assert rows["150000"]["occurred_on"] == "2026-11-01" and rows["150000"]["member"] == "Mom"


def test_bytes_and_file_are_the_same_export(ledger, tmp_path):
    path = tmp_path / "x.csv"
    export.export_transactions(ledger.access(), path)
    assert path.read_bytes() == export.export_bytes(ledger.access())
    assert not list(tmp_path.glob(".*partial"))


def test_a_zero_decimal_currency_exports_whole_numbers(home, tmp_path):
    fam = families.create_family(
        home.engine,
        home.eve.id,
        name="Tanaka",
        currency="JPY",
        timezone="Asia/Tokyo",
        monthly_income=400000,
        savings_goal=0,
        period_start_day=25,
    )
    transactions.add_transaction(
        open_family(home.engine, home.eve.id, fam.id),
        TransactionDraft(1500, "Ramen", "Dining", date(2026, 11, 20)),
        now=NOW,
    )
    path = tmp_path / "jp.csv"
    export.export_transactions(home.access(home.eve, family_id=fam.id), path)
    back = pl.read_csv(path, schema_overrides={"amount": pl.String})
    assert back.select("amount", "amount_minor", "currency").row(0) == ("1500", 1500, "JPY")


def test_an_empty_range_writes_just_the_header(home, tmp_path):
    path = tmp_path / "none.csv"
    assert export.export_transactions(home.access(), path, "csv", date(2020, 1, 1), date(2020, 1, 2)) == 0
    assert path.read_text().strip() == ",".join(export.COLUMNS)


def test_unknown_format_and_family_are_refused(home, tmp_path):
    with pytest.raises(ValidationError, match="csv or parquet"):
        export.export_transactions(home.access(), tmp_path / "x.xlsx", "xlsx")
    with pytest.raises(PermissionDenied, match="not a member of family 999999"):
        export.export_bytes(home.access(family_id=999999))


def test_an_export_never_overwrites_a_file_unless_forced_and_is_private(home, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("my own notes\n")
    with pytest.raises(ValidationError, match="already exists; choose another name, or add --force"):
        export.export_transactions(home.access(), path)
    assert path.read_text() == "my own notes\n"
    export.export_transactions(home.access(), path, force=True)
    assert path.read_text().startswith(",".join(export.COLUMNS))
    fresh = tmp_path / "fresh.csv"
    export.export_transactions(home.access(), fresh)
    assert (path.stat().st_mode & 0o777, fresh.stat().st_mode & 0o777) == (0o600, 0o600)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.csv", "mine.csv"]  # no partial file left


def test_the_download_matches_the_insights_totals(ledger):
    result = analytics.insights(ledger.access(), date(2026, 11, 1), ON, on=ON)
    back = pl.read_parquet(io.BytesIO(export.export_bytes(ledger.access(), "parquet", date(2026, 11, 1), ON)))
    spending = back.filter(pl.col("kind").is_in(["fixed", "variable"])).get_column("amount_minor").sum()
    assert spending == result.totals.spending


def test_file_name_is_safe():
    assert (
        export.file_name("The Smiths / Jones!", "csv", date(2026, 11, 1), date(2026, 11, 25))
        == "the-smiths-jones-transactions-2026-11-01-to-2026-11-25.csv"
    )

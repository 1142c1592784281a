"""How often the suggested category is the right one with no rules at all, on realistic statements
(a US checking account and a German Girokonto, tests/data/statements; each row's right category in
the ``.expected`` file beside it). ``bench/import.py`` prints the same share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from budget_core.importers.service import ImportOptions, preview_import
from budget_core.services import accounts, families
from budget_core.services.access import open_family

STATEMENTS = Path(__file__).resolve().parents[1] / "data" / "statements"
NOW = datetime(2026, 12, 21, 12, tzinfo=UTC)


def suggestion_share(access, name: str, date_format: str | None = None) -> tuple[int, int, list[str]]:
    """(right, rows, misses) of a statement's suggestions for a family with no rules and no history."""
    expected = (STATEMENTS / f"{name}.expected").read_text().split("\n")[:-1]
    preview = preview_import(
        access,
        f"{name}.csv",
        (STATEMENTS / f"{name}.csv").read_bytes(),
        ImportOptions(date_format=date_format),
        now=NOW,
    )
    assert len(preview.rows) == len(expected)
    misses = [
        f"{p.row.description}: {p.category} ≠ {want}" for p, want in zip(preview.rows, expected) if p.category != want
    ]
    return len(expected) - len(misses), len(expected), misses


@pytest.mark.parametrize(
    ("name", "currency", "tz"), [("us_checking", "USD", "America/New_York"), ("dkb_giro", "EUR", "Europe/Berlin")]
)
def test_most_rows_of_a_realistic_statement_get_the_right_category_with_no_rules(engine, name, currency, tz):
    user = accounts.create_user(engine, f"{name}@example.com", "Sam", "correct horse battery")
    fam = families.create_family(
        engine,
        user.id,
        name="New",
        currency=currency,
        timezone=tz,
        monthly_income=500000,
        savings_goal=0,
        period_start_day=1,
    )
    right, rows, misses = suggestion_share(open_family(engine, user.id, fam.id), name)
    print(f"{name}: {right}/{rows} right with no rules ({right / rows:.0%}); misses: {misses}")
    assert right / rows >= 0.8, misses

"""Benchmark: importing a 100,000-row bank CSV, and importing it again.

Creates a family through the services (20 categorisation rules, 1,000 expenses typed by hand for
the linker to consider), writes a Chase-style CSV of ``--rows`` rows (500 merchants, two years,
a few genuine same-day twins), and measures in the same run:

- the baseline: Python's ``csv.reader`` over the same file, doing nothing else;
- ``read_statement``: encoding check, layout and format detection, parsing into rows;
- the first import, end to end (one transaction: classification, rules, linking, COPY);
- the re-import of the same file (every row recognised as a duplicate, nothing written);
- the peak Python memory of reading the file (tracemalloc, in a separate round);
- the suggestion share: on the realistic statements of the tests (``tests/data/statements``: a US
  checking account and a German Girokonto, each row's right category in the ``.expected`` file), the
  share of rows whose suggested category is right for a new family with no rules and no history.

Run: ``python bench/import.py [--rows N]``. Uses ``BUDGET_DATABASE_URL`` when set (the role needs
CREATEDB), otherwise a throwaway embedded server in a temporary directory. The benchmark
database is dropped at the end.
"""

from __future__ import annotations

import argparse
import atexit
import csv
import os
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from budget_core.db.engine import make_engine, normalise_url  # noqa: E402
from budget_core.db.migrate import upgrade  # noqa: E402
from budget_core.importers.rules import RuleDraft, add_rule  # noqa: E402
from budget_core.importers.service import ImportOptions, import_file, preview_import, read_statement  # noqa: E402
from budget_core.services import accounts, families  # noqa: E402
from budget_core.services.access import open_family

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
START = date(2024, 12, 1)


def server() -> str:
    if os.environ.get("BUDGET_DATABASE_URL"):
        return normalise_url(os.environ["BUDGET_DATABASE_URL"])
    from budget_core.db import embedded

    data_dir = Path(tempfile.mkdtemp(prefix="budget-bench-"))
    os.chmod(data_dir, 0o755)
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    return embedded.start(data_dir)


def admin(url: str) -> str:
    return make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


def write_csv(path: Path, rows: int, rnd: random.Random) -> None:
    merchants = [f"MERCHANT {i:03d} {rnd.choice(['NY', 'NJ', 'CA', 'ONLINE'])}" for i in range(500)]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Details", "Posting Date", "Description", "Amount", "Type", "Balance", "Check or Slip #"])
        for i in range(rows):
            on = START + timedelta(days=i * 730 // rows)
            if i % 50 == 0:  # payroll
                w.writerow(["CREDIT", f"{on:%m/%d/%Y}", "ACME CORP PAYROLL", "2600.00", "ACH_CREDIT", "", ""])
                continue
            cents = rnd.randint(100, 25000)
            w.writerow(
                [
                    "DEBIT",
                    f"{on:%m/%d/%Y}",
                    rnd.choice(merchants),
                    f"-{cents // 100}.{cents % 100:02d}",
                    "DEBIT_CARD",
                    "",
                    "",
                ]
            )


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    rnd = random.Random(7)

    url = server()
    db = f"budget_bench_import_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    db_url = make_url(url).set(database=db).render_as_string(hide_password=False)

    def drop():
        with psycopg.connect(admin(url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    atexit.register(drop)
    upgrade(db_url)
    engine = make_engine(db_url)
    mom = accounts.create_user(engine, "mom@bench.example", "Mom", "correct horse battery")
    fam = families.create_family(
        engine,
        mom.id,
        name="Bench",
        currency="USD",
        timezone="America/New_York",
        monthly_income=520000,
        savings_goal=0,
        period_start_day=1,
    )
    for i in range(20):
        add_rule(
            open_family(engine, mom.id, fam.id),
            RuleDraft(f"MERCHANT {i * 7:03d}", rnd.choice(["Dining", "Groceries", "Fun"])),
        )
    with engine.connect() as conn:  # 1,000 expenses typed by hand over the two years
        cat = conn.exec_driver_sql(f"SELECT id FROM categories WHERE family_id = {fam.id} AND name = 'Dining'").scalar()
        raw = conn.connection.driver_connection
        with (
            raw.cursor() as cur,
            cur.copy(
                "COPY transactions (family_id, user_id, category_id, kind, amount, "
                "description, occurred_on, client_id) FROM STDIN"
            ) as cp,
        ):
            for _ in range(1000):
                cp.write_row(
                    (
                        fam.id,
                        mom.id,
                        cat,
                        "variable",
                        rnd.randint(100, 25000),
                        "typed",
                        START + timedelta(days=rnd.randint(0, 729)),
                        uuid.uuid4(),
                    )
                )
        raw.commit()

    work = Path(tempfile.mkdtemp(prefix="budget-bench-csv-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    path = work / "chase_activity.csv"
    write_csv(path, args.rows, rnd)
    size_mb = path.stat().st_size / 2**20

    def raw_parse():
        with open(path, newline="") as fh:
            return sum(1 for _ in csv.reader(fh))

    _, t_raw = timed(raw_parse)
    statement, t_read = timed(lambda: read_statement(path.name, path, "USD"))
    first, t_first = timed(
        lambda: import_file(open_family(engine, mom.id, fam.id), path.name, path, ImportOptions(), now=NOW)
    )
    again, t_again = timed(
        lambda: import_file(open_family(engine, mom.id, fam.id), path.name, path, ImportOptions(), now=NOW)
    )
    tracemalloc.start()
    read_statement(path.name, path, "USD")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    n = len(statement.rows)
    print(f"{args.rows:,}-row bank CSV ({size_mb:.1f} MB), 20 rules, 1,000 typed expenses; one run, wall clock\n")
    print(f"{'step':<44}{'seconds':>9}{'rows/s':>12}{'vs csv.reader':>15}")
    for label, t in (
        ("baseline: csv.reader, nothing else", t_raw),
        ("read_statement (detect + parse)", t_read),
        ("first import (end to end, 1 transaction)", t_first),
        ("re-import of the same file (all duplicates)", t_again),
    ):
        print(f"{label:<44}{t:>9.2f}{n / t:>12,.0f}{t / t_raw:>14.1f}x")
    print(f"\nfirst import: {first.added:,} added, {first.duplicates:,} duplicates, {first.linked:,} linked")
    print(f"re-import:    {again.added:,} added, {again.duplicates:,} duplicates, {again.linked:,} linked")
    print(f"peak Python memory while reading the file: {peak / 2**20:.0f} MB")
    suggestion_share(engine)


def suggestion_share(engine) -> None:
    """Print, per realistic statement, how many rows get the right category with no rules at all."""
    statements = Path(__file__).resolve().parents[1] / "tests" / "data" / "statements"
    print("\nsuggested category right with no rules (realistic statements of the tests):")
    total_right = total_rows = 0
    for name, currency, tz in (("us_checking", "USD", "America/New_York"), ("dkb_giro", "EUR", "Europe/Berlin")):
        user = accounts.create_user(engine, f"{name}@bench.example", "Sam", "correct horse battery")
        fam = families.create_family(
            engine,
            user.id,
            name=name,
            currency=currency,
            timezone=tz,
            monthly_income=500000,
            savings_goal=0,
            period_start_day=1,
        )
        expected = (statements / f"{name}.expected").read_text().split("\n")[:-1]
        preview = preview_import(
            open_family(engine, user.id, fam.id), f"{name}.csv", (statements / f"{name}.csv").read_bytes(), now=NOW
        )
        right = sum(1 for p, want in zip(preview.rows, expected) if p.category == want)
        undecided = sum(1 for p in preview.rows if p.needs_category)
        total_right, total_rows = total_right + right, total_rows + len(expected)
        print(
            f"  {name:<14}{right:>4} of {len(expected):>3} right ({right / len(expected):.0%}), {undecided} left to decide"
        )
    print(f"  {'all':<14}{total_right:>4} of {total_rows:>3} right ({total_right / total_rows:.0%})")


if __name__ == "__main__":
    main()

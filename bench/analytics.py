"""Benchmark: the Insights path on 1,000,000 transactions of one family.

Generates a family through the services (four members, categories with subcategories), then
COPYs ``--rows`` transactions spread over three years into a fresh database, and measures in the
same run:

- loading into Polars with ``analytics.load_transactions`` (``COPY … TO STDOUT (FORMAT csv)`` →
  ``pl.read_csv``, names joined in Polars) against ``pandas.read_sql`` of the SELECT that returns
  the same frame (the baseline), ``pl.read_database`` of it, and a COPY of that joined SELECT;
  the four alternate round by round (so a busy neighbour hurts them alike)
  and the median of ``--repeat`` rounds is printed, wall clock and this process's CPU;
- the category breakdown (DuckDB over the loaded frame) and the projection;
- the CPU time (all threads, ``time.process_time``) of the whole Insights computation on the
  loaded frame, and of ``analytics.insights`` end to end (load included).

Run: ``python bench/analytics.py [--rows N] [--repeat R]``. Uses ``BUDGET_DATABASE_URL`` when set
(the role needs CREATEDB), otherwise a throwaway embedded server in a temporary directory. The
benchmark database is dropped at the end.
"""

from __future__ import annotations

import argparse
import atexit
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from budget_core import analytics  # noqa: E402
from budget_core.db.engine import make_engine, normalise_url  # noqa: E402
from budget_core.db.migrate import upgrade  # noqa: E402
from budget_core.domain.projection import project_overview  # noqa: E402
from budget_core.services import accounts, budgets, categories, families, invitations  # noqa: E402
from budget_core.services.access import open_family

TODAY = date(2026, 11, 25)
DAYS = 3 * 365
DESCRIPTIONS = {
    "Groceries": ["Trader Joe's", "Whole Foods", "Costco", "Farmers market"],
    "Organic": ["Organic box", "Co-op"],
    "Dining": ["Lunch", "Pizza night", "Sushi", "Tacos"],
    "Coffee": ["Coffee", "Latte"],
    "Transport": ["Gas", "Subway card", "Parking", "Uber"],
    "Household": ["Hardware store", "Target"],
    "Fun": ["Movies", "Books", "Bowling"],
    "Housing": ["Rent"],
    "Utilities": ["Electricity", "Internet"],
    "Insurance": ["Insurance"],
    "Savings": ["Transfer to savings"],
    "Salary": ["Salary"],
}


def server() -> tuple[str, Path | None]:
    if os.environ.get("BUDGET_DATABASE_URL"):
        return normalise_url(os.environ["BUDGET_DATABASE_URL"]), None
    from budget_core.db import embedded

    data_dir = Path(tempfile.mkdtemp(prefix="budget-bench-"))
    os.chmod(data_dir, 0o755)
    # atexit runs last-registered first: the server (registered by start) stops, then this removes it
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    return embedded.start(data_dir), data_dir


def admin(url: str) -> str:
    return make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


def make_family(engine) -> tuple[int, dict[str, tuple[int, str]], list[int]]:
    password = "bench horse battery staple"
    users = [
        accounts.create_user(engine, f"{n}@bench.example", n.title(), password) for n in ("mom", "dad", "emma", "leo")
    ]
    fam = families.create_family(
        engine,
        users[0].id,
        name="Bench family",
        currency="USD",
        timezone="America/New_York",
        monthly_income=640000,
        savings_goal=80000,
        period_start_day=1,
    )
    families.add_fixed_expense(open_family(engine, users[0].id, fam.id), "Rent", 185000)
    for user in users[1:]:
        token = invitations.create_invitation(open_family(engine, users[0].id, fam.id)).token
        invitations.redeem_invitation(engine, user.id, token)
    categories.add_category(open_family(engine, users[0].id, fam.id), "Coffee", parent="Dining")
    categories.add_category(open_family(engine, users[0].id, fam.id), "Organic", parent="Groceries")
    cats = {c.name: (c.id, c.kind) for c in categories.list_categories(open_family(engine, users[0].id, fam.id))}
    return fam.id, cats, [u.id for u in users]


def generate(family_id: int, cats: dict[str, tuple[int, str]], members: list[int], rows: int) -> bytes:
    """``rows`` transactions as CSV for COPY: mostly everyday spending, some fixed, savings, income,
    2 % refunds; dates uniform over the last three years."""
    rng = np.random.default_rng(42)
    names = [n for n in DESCRIPTIONS if n in cats]
    weights = np.array([{"variable": 30.0, "fixed": 1.0, "savings": 0.5, "income": 0.5}[cats[n][1]] for n in names])
    pick = rng.choice(len(names), size=rows, p=weights / weights.sum())
    kinds = np.array([cats[n][1] for n in names])[pick]
    base = np.where(kinds == "variable", rng.gamma(2.0, 1800.0, rows), rng.gamma(4.0, 40000.0, rows))
    amount = np.maximum(base.astype(np.int64), 1)
    refund = (kinds == "variable") & (rng.random(rows) < 0.02)
    amount = np.where(refund, -amount, amount)
    desc_pick = rng.integers(0, 1000, rows)
    descriptions = [DESCRIPTIONS[names[i]][d % len(DESCRIPTIONS[names[i]])] for i, d in zip(pick, desc_pick)]
    day0 = TODAY - timedelta(days=DAYS - 1)
    frame = pl.DataFrame(
        {
            "family_id": np.full(rows, family_id, dtype=np.int64),
            "user_id": np.array(members, dtype=np.int64)[rng.integers(0, len(members), rows)],
            "category_id": np.array([cats[n][0] for n in names], dtype=np.int64)[pick],
            "kind": kinds,
            "amount": amount,
            "description": descriptions,
            "occurred_on": np.datetime64(day0.isoformat(), "D") + rng.integers(0, DAYS, rows).astype("timedelta64[D]"),
            "client_id": [str(uuid.UUID(bytes=b)) for b in np.frombuffer(rng.bytes(16 * rows), dtype="V16").tolist()],
        }
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False)
    return buffer.getvalue()


def copy_in(url: str, data: bytes) -> None:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        with conn.cursor().copy(
            "COPY transactions (family_id, user_id, category_id, kind, amount, description, "
            "occurred_on, client_id) FROM STDIN (FORMAT csv)"
        ) as copy:
            for start in range(0, len(data), 1 << 20):
                copy.write(data[start : start + (1 << 20)])
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE transactions")


def copy_joined(engine, select: str) -> pl.DataFrame:
    """The alternative: COPY the joined SELECT, every name with every row, into ``pl.read_csv``."""
    raw = engine.raw_connection()
    try:
        data = analytics.copy_csv(raw.driver_connection, select)
        raw.driver_connection.commit()
    finally:
        raw.close()
    return pl.read_csv(io.BytesIO(data), has_header=False, schema=analytics.TRANSACTION_SCHEMA)


def median_run(runs: list[tuple[float, float, object]]) -> tuple[float, float, object]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), runs[-1][2]


def timed(fn, repeat: int):
    """(median wall s, median CPU s, last result) over ``repeat`` runs."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    url, data_dir = server()
    db = f"budget_bench_{os.getpid()}"
    with psycopg.connect(admin(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    bench_url = make_url(url).set(database=db).render_as_string(hide_password=False)
    engine = None
    try:
        upgrade(bench_url)
        engine = make_engine(bench_url)
        family_id, cats, members = make_family(engine)
        access = open_family(engine, members[0], family_id)  # the analyst is the family's first member
        t = time.perf_counter()
        data = generate(family_id, cats, members, args.rows)
        generated = time.perf_counter() - t
        t = time.perf_counter()
        copy_in(bench_url, data)
        copied = time.perf_counter() - t
        print(
            f"{args.rows:,} transactions generated in {generated:.1f} s, COPY FROM STDIN + ANALYZE "
            f"{copied:.1f} s; median of {args.repeat} runs below.\n"
        )

        raw = engine.raw_connection()
        select = psycopg.ClientCursor(raw.driver_connection).mogrify(
            analytics.SELECT_SQL, analytics.query_params(family_id)
        )
        raw.close()

        # Alternate the contenders round by round so a busy neighbour hurts them alike.
        loads = {
            "pandas": lambda: pd.read_sql(text(select), engine),
            "read_database": lambda: pl.read_database(select, engine),
            "copy_joined": lambda: copy_joined(engine, select),
            "ours": lambda: analytics.load_transactions(access),
        }
        runs = {name: [] for name in loads}
        for _ in range(args.repeat):
            for name, fn in loads.items():
                runs[name].append(timed(fn, 1))
        (
            (pandas_wall, pandas_cpu, pdf),
            (rdb_wall, rdb_cpu, _),
            (join_wall, join_cpu, _),
            (polars_wall, polars_cpu, tx),
        ) = (median_run(runs[name]) for name in loads)
        assert tx.height == len(pdf) == args.rows
        assert int(tx.get_column("amount_minor").sum()) == int(pdf["amount_minor"].sum())

        inputs = budgets.load_inputs(access, TODAY)
        cat_wall, cat_cpu, by_cat = timed(lambda: analytics.spending_by_category(tx), args.repeat)

        def projection():
            budgets.clear_cache()
            return project_overview(budgets.overview(access, TODAY)[1])

        proj_wall, proj_cpu, proj = timed(projection, args.repeat)
        currency, overview = budgets.overview(access, TODAY)
        first = tx.get_column("occurred_on").min()
        compute_wall, compute_cpu, result = timed(
            lambda: analytics.compute_insights(
                tx,
                family_id=family_id,
                plan=inputs.plan,
                currency=currency,
                overview=overview,
                date_from=first,
                date_to=TODAY,
            ),
            args.repeat,
        )
        e2e_wall, e2e_cpu, _ = timed(lambda: analytics.insights(access, first, TODAY, on=TODAY), args.repeat)
        spec_wall, spec_cpu, _ = timed(lambda: [c.to_dict() for c in result.charts.values()], args.repeat)

        rows = [
            ("load: pandas.read_sql (baseline)", pandas_wall, pandas_cpu, "1.0×"),
            ("load: pl.read_database", rdb_wall, rdb_cpu, f"{pandas_wall / rdb_wall:.1f}×"),
            ("load: COPY of the joined SELECT -> pl.read_csv", join_wall, join_cpu, f"{pandas_wall / join_wall:.1f}×"),
            ("load: analytics.load_transactions (COPY)", polars_wall, polars_cpu, f"{pandas_wall / polars_wall:.1f}×"),
            ("category breakdown (DuckDB)", cat_wall, cat_cpu, ""),
            ("projection (overview query + pure)", proj_wall, proj_cpu, ""),
            ("insights on the loaded frame", compute_wall, compute_cpu, ""),
            ("  + serialise its 8 charts (to_dict)", spec_wall, spec_cpu, ""),
            ("insights end to end (load included)", e2e_wall, e2e_cpu, ""),
        ]
        width = max(len(r[0]) for r in rows)
        print(f"{'step':<{width}}  {'wall s':>8}  {'CPU s':>8}  {'vs pandas':>9}")
        print("-" * (width + 31))
        for name, wall, cpu, ratio in rows:
            print(f"{name:<{width}}  {wall:8.3f}  {cpu:8.3f}  {ratio:>9}")
        print(
            f"\nload speed-up over pandas.read_sql: {pandas_wall / polars_wall:.1f}× wall, "
            f"{pandas_cpu / polars_cpu:.1f}× client CPU (target ≥ 3×)"
        )
        print(f"insights CPU on {args.rows:,} rows: {compute_cpu:.3f} s (target < 1 s)")
        print(f"\n{by_cat.height} categories; largest: {by_cat.row(0)}")
        print(
            f"projection: expected {proj.expected}, range {proj.low}–{proj.high}, budget {proj.budget}, "
            f"runs out {proj.runs_out_on}"
        )
        print(f"cores: {os.cpu_count()}, polars {pl.__version__}, pandas {pd.__version__}")
    finally:
        if engine is not None:
            engine.dispose()
        with psycopg.connect(admin(url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


if __name__ == "__main__":
    main()

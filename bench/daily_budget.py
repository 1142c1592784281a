"""Benchmark: ``budgets.daily_budget`` on 10,000 families and 5,000,000 transactions.

Builds a throwaway database with set operations (no services, for speed): ``--families`` users,
families, members (each family's one manager), the 11 default categories and one fixed expense per
family, one ``family.created`` event each, and ``--transactions`` transactions — ``--big`` for
family 1 over ten years, ``--small`` for family 2 over two months, the rest spread evenly over the
other families over two years, with category kinds as the defaults give them. Transactions are
generated either inside the server (``--method sql``: ``INSERT … SELECT … generate_series``, split
over ``--jobs`` connections) or in Python chunks sent with ``COPY … FROM STDIN``
(``--method copy``). The secondary indexes of ``transactions`` are dropped for the load and built
afterwards, foreign-key triggers are off for the loading session (``session_replication_role``),
and ``VACUUM (ANALYZE)`` runs at the end: ANALYZE for the planner, VACUUM so the visibility map
lets the daily-budget query be the index-only scan it is meant to be (autovacuum would get there
too, later).

Then prints, sampled alternately so a busy neighbour hurts every series alike, the median and p95 of:
a bare ``SELECT 1`` on a held connection (the baseline), an uncached ``daily_budget`` (cache
cleared before each call) for the 50,000-row family and for the 50-row one, and a cached call
(version known, so no query at all), with the issue's targets next to them: uncached p95 within
5× of SELECT 1, the big family within 2× of the small one, cached under 50 µs. Not a timed test.

Run: ``python bench/daily_budget.py [--families 10000] [--transactions 5000000] [--samples 400]``;
smaller runs for a quick look: ``--families 200 --transactions 100000``. It measures as the app's
``budget_app`` role, i.e. under row-level security, as the app runs; ``--owner`` as the table owner.
Uses ``BUDGET_DATABASE_URL`` when set (the role needs CREATEDB), otherwise a throwaway embedded
server; see ``bench/_common.py``.
"""

from __future__ import annotations

import argparse
import threading
import time
from datetime import date, timedelta

import psycopg
from _common import median, ms, p95, print_table, select_one, throwaway_database, us
from sqlalchemy import text
from sqlalchemy.engine import make_url

from budget_core.db.engine import make_engine
from budget_core.services import budgets
from budget_core.services.access import open_family
from budget_core.services.families import DEFAULT_CATEGORIES

TODAY = date(2026, 11, 25)
BIG, SMALL = 1, 2  # family ids
CATEGORIES = [(name, kind) for kind, names in DEFAULT_CATEGORIES.items() for name in names]  # 11, ids 1..11
PER_FAMILY = len(CATEGORIES)
DESCRIPTIONS = ["Lunch", "Groceries", "Bus ticket", "Coffee", "Pharmacy", "Books", "Dinner out", "Hardware"]
COLUMNS = "family_id, id, user_id, category_id, kind, amount, description, occurred_on, client_id"

# A row's category from a hash of its number: 70 % variable, 15 % fixed, 8 % savings, 7 % income.
PICK_SQL = """CASE WHEN h < 70 THEN 4 + h % 5 WHEN h < 85 THEN 1 + h % 3 WHEN h < 93 THEN 9 ELSE 10 + h % 2 END"""


def pick(h: int) -> int:
    return 4 + h % 5 if h < 70 else 1 + h % 3 if h < 85 else 9 if h < 93 else 10 + h % 2


def plan_rows(families: int, transactions: int, big: int, small: int) -> list[tuple[int, int, int, int]]:
    """(first id, last id, family of the first, rows per family, days of history) blocks, ids in (family, id) order."""
    rest = transactions - big - small
    others = max(1, families - 2)
    return [
        (1, big, BIG, big, 3650),
        (big + 1, big + small, SMALL, small, 60),
        (big + small + 1, transactions, 3, -(-rest // others), 730),
    ]


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _loading_session(conn: psycopg.Connection) -> None:
    conn.execute("SET synchronous_commit = off")
    try:
        conn.execute("SET session_replication_role = replica")  # no FK triggers while loading
    except psycopg.errors.InsufficientPrivilege:
        conn.rollback()


def load_parents(conninfo: str, families: int) -> None:
    """Users, families, members, default categories, one fixed expense and one event per family."""
    categories = ", ".join(f"({k}, '{name}', '{kind}')" for k, (name, kind) in enumerate(CATEGORIES, 1))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        _loading_session(conn)
        with conn.transaction():
            conn.execute(
                "INSERT INTO users (id, email, email_normal, display_name) OVERRIDING SYSTEM VALUE "
                "SELECT g, 'member' || g || '@bench.example', 'member' || g || '@bench.example', 'Member ' || g "
                "FROM generate_series(1, %s) g",
                (families,),
            )
            conn.execute(
                "INSERT INTO families (id, name, currency, timezone, monthly_income, savings_goal, "
                "period_start_day, version) OVERRIDING SYSTEM VALUE "
                "SELECT g, 'Family ' || g, 'USD', 'America/New_York', 520000, 60000, 1, 1 "
                "FROM generate_series(1, %s) g",
                (families,),
            )
            conn.execute(
                "INSERT INTO members (family_id, user_id, role, display_name) "
                "SELECT g, g, 'manager', 'Member ' || g FROM generate_series(1, %s) g",
                (families,),
            )
            conn.execute(
                f"INSERT INTO categories (family_id, id, name, kind) OVERRIDING SYSTEM VALUE "
                f"SELECT g, (g - 1) * {PER_FAMILY} + c.k, c.name, c.kind "
                f"FROM generate_series(1, %s) g CROSS JOIN (VALUES {categories}) c(k, name, kind) "
                f"ORDER BY 1, 2",
                (families,),
            )
            conn.execute(
                "INSERT INTO fixed_expenses (family_id, id, name, amount) OVERRIDING SYSTEM VALUE "
                "SELECT g, g, 'Rent', 150000 FROM generate_series(1, %s) g",
                (families,),
            )
            conn.execute(
                "INSERT INTO events (family_id, version, actor_id, kind, payload) "
                "SELECT g, 1, g, 'family.created', jsonb_build_object('actor', 'Member ' || g, "
                "'name', 'Family ' || g) FROM generate_series(1, %s) g",
                (families,),
            )


def _sql_block(conninfo: str, first: int, last: int, family0: int, per_family: int, days: int) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        _loading_session(conn)
        conn.execute(
            f"""INSERT INTO transactions ({COLUMNS}) OVERRIDING SYSTEM VALUE
            SELECT fam, g, fam, (fam - 1) * {PER_FAMILY} + k, (ARRAY[{", ".join(repr(kd) for _, kd in CATEGORIES)}])[k],
                   CASE WHEN k >= 10 THEN 100000 + g % 300000 ELSE 100 + (g * 7919) % 20000 END,
                   (ARRAY[{", ".join(repr(d) for d in DESCRIPTIONS)}])[1 + g % {len(DESCRIPTIONS)}],
                   DATE '{TODAY.isoformat()}' - ((g * 2654435761) % {days})::int,
                   md5(g::text)::uuid
            FROM (SELECT g, {family0} + (g - {first}) / {per_family} AS fam, {PICK_SQL} AS k
                  FROM (SELECT g, (g * 40503) % 100 AS h
                        FROM generate_series({first}::bigint, {last}::bigint) g) s) r"""
        )  # no params: % is modulo


def _copy_block(conninfo: str, first: int, last: int, family0: int, per_family: int, days: int) -> None:
    kinds = [kind for _, kind in CATEGORIES]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        _loading_session(conn)
        with conn.cursor() as cur, cur.copy(f"COPY transactions ({COLUMNS}) FROM STDIN") as copy:
            chunk = 50_000
            for start in range(first, last + 1, chunk):
                lines = []
                for g in range(start, min(last, start + chunk - 1) + 1):
                    fam = family0 + (g - first) // per_family
                    k = pick((g * 40503) % 100)
                    amount = 100000 + g % 300000 if k >= 10 else 100 + (g * 7919) % 20000
                    day = TODAY - timedelta(days=(g * 2654435761) % days)
                    lines.append(
                        f"{fam}\t{g}\t{fam}\t{(fam - 1) * PER_FAMILY + k}\t{kinds[k - 1]}\t{amount}\t"
                        f"{DESCRIPTIONS[g % len(DESCRIPTIONS)]}\t{day.isoformat()}\t"
                        f"{g:032x}\n"
                    )
                copy.write("".join(lines))


def load_transactions(
    conninfo: str, families: int, transactions: int, big: int, small: int, method: str, jobs: int
) -> None:
    """Fill ``transactions`` with its secondary indexes dropped, then rebuild them."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        indexes = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'transactions' "
            "AND i.indexname NOT IN (SELECT conname FROM pg_constraint)"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')

    work = []
    for first, last, family0, per_family, days in plan_rows(families, transactions, big, small):
        step = -(-(last - first + 1) // jobs) if last - first > 100_000 else last - first + 1
        step = -(-step // per_family) * per_family  # split at family boundaries
        for lo in range(first, last + 1, step):
            work.append((lo, min(last, lo + step - 1), family0 + (lo - first) // per_family, per_family, days))
    block = _sql_block if method == "sql" else _copy_block
    errors: list[BaseException] = []
    pending = list(work)
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not pending or errors:
                    return
                item = pending.pop(0)
            try:
                block(conninfo, *item)
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]

    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute(f"SET max_parallel_maintenance_workers = {max(0, jobs - 1)}")
        for _, definition in indexes:
            conn.execute(definition)


def finish_loading(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for table in ("users", "families", "categories", "fixed_expenses", "transactions"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.execute("VACUUM (ANALYZE) transactions")
        conn.execute("ANALYZE")


def build(url: str, args) -> dict[str, float]:
    conninfo = _conninfo(url)
    took = {}
    start = time.perf_counter()
    load_parents(conninfo, args.families)
    took["families, members, categories"] = time.perf_counter() - start
    start = time.perf_counter()
    load_transactions(conninfo, args.families, args.transactions, args.big, args.small, args.method, args.jobs)
    took[f"transactions ({args.method}, {args.jobs} jobs) + indexes"] = time.perf_counter() - start
    start = time.perf_counter()
    finish_loading(conninfo)
    took["VACUUM (ANALYZE)"] = time.perf_counter() - start
    return took


def describe_families(engine) -> list[list[object]]:
    rows = []
    with engine.connect() as conn:
        for family in (BIG, SMALL):
            total, in_window = conn.execute(
                text(
                    "SELECT count(*), count(*) FILTER (WHERE occurred_on > :d - 32 AND occurred_on <= :d) "
                    "FROM transactions WHERE family_id = :f"
                ),
                {"f": family, "d": TODAY},
            ).one()
            rows.append([family, f"{total:,}", f"{in_window:,}"])
    return rows


def index_only_plan(url: str) -> str:
    """The transactions node of the plan inside ``budget_inputs()`` for the big family, through
    auto_explain with nested statements, whose LOG lines reach the client as notices."""
    notices: list[str] = []
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
        conn.execute("LOAD 'auto_explain'")
        for setting in (
            "auto_explain.log_min_duration = 0",
            "auto_explain.log_analyze = on",
            "auto_explain.log_buffers = on",
            "auto_explain.log_nested_statements = on",
            "client_min_messages = log",
        ):
            conn.execute(f"SET {setting}")
        conn.execute("SELECT * FROM budget_inputs(%s, %s, %s)", (BIG, BIG, TODAY)).fetchall()  # user g is in family g
    plan = "\n".join(notices).splitlines()
    keep = [line.strip() for line in plan if "transaction" in line or "Heap Fetches" in line]
    return "\n  ".join(keep) or "(auto_explain is not available on this server)"


def measure(engine, samples: int, cached_samples: int) -> dict[str, list[float]]:
    series: dict[str, list[float]] = {
        "SELECT 1 (held connection)": [],
        "uncached, 50,000-row family": [],
        "uncached, 50-row family": [],
    }
    handles = {family: open_family(engine, family, family) for family in (BIG, SMALL)}  # user g is in family g
    with engine.connect() as held:
        ping = select_one(held)
        for _ in range(20):  # warm up: connections, plans, caches
            ping()
        for family in (BIG, SMALL):
            for _ in range(10):
                budgets.clear_cache()
                budgets.daily_budget(handles[family], TODAY)
        for _ in range(samples):
            start = time.perf_counter()
            ping()
            series["SELECT 1 (held connection)"].append(time.perf_counter() - start)
            for family, name in ((BIG, "uncached, 50,000-row family"), (SMALL, "uncached, 50-row family")):
                budgets.clear_cache()
                start = time.perf_counter()
                budgets.daily_budget(handles[family], TODAY)
                series[name].append(time.perf_counter() - start)
    first = budgets.daily_budget(handles[BIG], TODAY)
    cached = []
    for _ in range(cached_samples):
        start = time.perf_counter()
        budgets.daily_budget(handles[BIG], TODAY, version=first.version)
        cached.append(time.perf_counter() - start)
    series["cached (version known)"] = cached
    return series


def breakdown(engine, samples: int) -> list[list[object]]:
    """Where an uncached call of the big family spends its time, piece by piece (median ms)."""
    from budget_core.domain.allowance import compute_daily_budget

    inputs = budgets.load_inputs(open_family(engine, BIG, BIG), TODAY)
    params = {"f": BIG, "u": BIG, "on": TODAY}
    pieces = {}

    def checkout_ping_return():
        with engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar()

    with engine.connect() as held:
        pieces["SELECT 1 on a held connection"] = lambda: held.execute(text("SELECT 1")).scalar()
        pieces["the budget_inputs() statement on a held connection"] = lambda: held.execute(
            budgets._QUERY, params
        ).all()
        pieces["check out (pre-ping) + SELECT 1 + give back"] = checkout_ping_return
        pieces["compute_daily_budget (pure, no I/O)"] = lambda: compute_daily_budget(
            inputs.plan, inputs.totals, inputs.on
        )
        timings = {name: [] for name in pieces}
        for _ in range(samples):
            for name, fn in pieces.items():
                start = time.perf_counter()
                fn()
                timings[name].append(time.perf_counter() - start)
            held.rollback()
    return [[name, ms(median(t)), ms(p95(t))] for name, t in timings.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument("--transactions", type=int, default=5_000_000)
    parser.add_argument("--big", type=int, default=50_000, help="transactions of family 1")
    parser.add_argument("--small", type=int, default=50, help="transactions of family 2")
    parser.add_argument(
        "--method",
        choices=("sql", "copy"),
        default="sql",
        help="generate rows inside the server (sql) or in Python and COPY them (copy)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="parallel loading connections")
    parser.add_argument("--samples", type=int, default=400, help="uncached samples per family")
    parser.add_argument("--cached-samples", type=int, default=20_000)
    parser.add_argument(
        "--owner",
        action="store_true",
        help="measure as the table owner (no row-level security) instead of the app's budget_app",
    )
    args = parser.parse_args()
    if args.families < 3 or args.transactions < args.big + args.small + args.families - 2:
        parser.error("need at least 3 families and enough transactions for one per family")

    with throwaway_database("bench_daily") as url:
        took = build(url, args)
        print_table(
            ["step", "seconds"],
            [[k, f"{v:.1f}"] for k, v in took.items()],
            title=f"Loading {args.families:,} families and {args.transactions:,} transactions",
        )
        measure_url = (
            url if args.owner else make_url(url).set(username="budget_app").render_as_string(hide_password=False)
        )
        engine = make_engine(measure_url, pool_size=2, max_overflow=0)
        try:
            owner = make_engine(url, pool_size=1)
            try:
                described = describe_families(owner)  # the owner sees every family's rows
            finally:
                owner.dispose()
            print_table(
                ["family", "transactions", "in the 32-day window read"], described, title="The two families measured"
            )
            print(f"\nplan of the daily-budget query for family {BIG}:\n  {index_only_plan(url)}")
            series = measure(engine, args.samples, args.cached_samples)
            pieces = breakdown(engine, args.samples)
        finally:
            engine.dispose()

    base_med, base_p95 = median(series["SELECT 1 (held connection)"]), p95(series["SELECT 1 (held connection)"])
    rows = []
    for name, samples in series.items():
        rows.append(
            [
                name,
                len(samples),
                ms(median(samples)),
                ms(p95(samples)),
                f"{median(samples) / base_med:.1f}×",
                f"{p95(samples) / base_p95:.1f}×",
            ]
        )
    print_table(
        ["call", "samples", "median ms", "p95 ms", "median / SELECT 1", "p95 / SELECT 1 p95"],
        rows,
        title="daily_budget next to a bare SELECT 1"
        + (" (as the owner, no RLS)" if args.owner else " (as budget_app, under row-level security)"),
    )

    print_table(["piece", "median ms", "p95 ms"], pieces, title="Where an uncached call spends its time")

    big, small = series["uncached, 50,000-row family"], series["uncached, 50-row family"]
    cached = series["cached (version known)"]
    checks = [
        [
            "uncached p95 (50,000 rows) within 5× SELECT 1 p95",
            f"{p95(big) / base_p95:.1f}×",
            "yes" if p95(big) <= 5 * base_p95 else "no",
        ],
        [
            "uncached p95 (50,000 rows) within 5× SELECT 1 median",
            f"{p95(big) / base_med:.1f}×",
            "yes" if p95(big) <= 5 * base_med else "no",
        ],
        [
            "50,000-row family within 2× of the 50-row one (median)",
            f"{median(big) / median(small):.2f}×",
            "yes" if median(big) <= 2 * median(small) else "no",
        ],
        [
            "50,000-row family within 2× of the 50-row one (p95)",
            f"{p95(big) / p95(small):.2f}×",
            "yes" if p95(big) <= 2 * p95(small) else "no",
        ],
        ["cached call under 50 µs (median)", f"{us(median(cached))} µs", "yes" if median(cached) < 50e-6 else "no"],
        ["cached call under 50 µs (p95)", f"{us(p95(cached))} µs", "yes" if p95(cached) < 50e-6 else "no"],
    ]
    print_table(["target", "measured", "met"], checks, title="Targets of issue 4")


if __name__ == "__main__":
    main()

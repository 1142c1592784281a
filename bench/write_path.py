"""Benchmark: the write path (``transactions.add_transaction``) on a throwaway database.

Prints, in one run and for both places of the ``pg_notify`` (``_uow.NOTIFY_INSIDE_TRANSACTION``
False = right after commit, True = inside the write transaction):

- expenses added per second into one family and spread over ``--families`` families, with 1 and
  8 writer threads (the median of ``--rounds`` rounds; the two NOTIFY modes alternate round by
  round so a busy neighbour hurts both alike), with the median and p95 time of one add;
- the median time of one add next to the median of a bare ``SELECT 1`` on the same connection
  (an engine whose pool holds exactly one connection), sampled alternately;

then says which NOTIFY placement was faster. One LISTEN connection (the app's watcher) drains the
notifications meanwhile and counts them. Not a timed test: figures vary with the machine.

Run: ``python bench/write_path.py [--adds 1600] [--families 100] [--rounds 3] [--samples 400]``.
Uses ``BUDGET_DATABASE_URL`` when set (the role needs CREATEDB), otherwise a throwaway embedded
server; see ``bench/_common.py``.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import threading
import time
import uuid
from datetime import date

import psycopg
from _common import median, ms, p95, print_table, select_one, throwaway_database
from sqlalchemy import text
from sqlalchemy.engine import make_url

from budget_core.db.engine import make_app_engine, make_engine
from budget_core.services import _uow, accounts, categories, families
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionDraft, add_transaction

DAY = date(2026, 11, 25)
MODES = {False: "after commit", True: "inside transaction"}


def draft(access, i: int) -> TransactionDraft:
    """An expense as the sidebar form makes it: the category by id (the CLI's names cost one read more)."""
    return TransactionDraft(100 + i % 5000, f"Bench lunch {i}", dining(access), DAY, client_id=uuid.uuid4())


@functools.cache
def dining(access) -> int:
    return categories.get_category(access, "Dining").id


class Listener:
    """The watcher's side: one connection LISTENing on family_changes, counting what it hears."""

    def __init__(self, url: str):
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.conn.execute(f"LISTEN {_uow.CHANNEL}")
        self.heard = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for _ in self.conn.notifies(timeout=0.2):
                self.heard += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.conn.close()


def run_writers(engine, actor: int, family_ids: list[int], adds: int, threads: int) -> tuple[float, list[float]]:
    """Add ``adds`` expenses with ``threads`` writers; returns (wall seconds, each add's seconds)."""
    per_thread = adds // threads
    barrier = threading.Barrier(threads + 1)
    durations: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []

    handles = {f: open_family(engine, actor, f) for f in family_ids}  # a page run opens its family once

    def writer(n: int) -> None:
        mine = durations[n]
        barrier.wait()
        try:
            for i in range(per_thread):
                family = family_ids[(n * per_thread + i) % len(family_ids)]
                start = time.perf_counter()
                add_transaction(handles[family], draft(handles[family], i))
                mine.append(time.perf_counter() - start)
        except BaseException as exc:  # reported after the run; a benchmark must not hide a failure
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    start = time.perf_counter()
    for w in workers:
        w.join()
    wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    return wall, [d for ds in durations for d in ds]


def statements_per_add(engine, actor: int, family: int) -> tuple[int, list[str]]:
    """Round trips one add makes to the server, as libpq sees them on the wire: every statement,
    BEGIN and COMMIT, the pool's pre-ping and the NOTIFY. ``engine`` must hold one connection."""
    access = open_family(engine, actor, family)
    dining(access)
    raw = engine.raw_connection()
    pgconn = raw.driver_connection.pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        raw.close()  # back to the pool: the add below checks out this same connection
        try:
            add_transaction(access, draft(access, 0))
        finally:
            pgconn.untrace()
        trace.seek(0)
        # a simple-protocol Query, or an extended-protocol statement (Parse/Bind/Execute … Sync)
        sent = [
            line.split("\t", 3)[-1]
            for line in trace.read().splitlines()
            if "\tF\t" in line and ("\tQuery\t" in line or line.endswith("\tSync"))
        ]
    return len(sent), sent


def latency(url: str, actor: int, family: int, samples: int) -> tuple[list[float], list[float], int]:
    """(add seconds, SELECT 1 seconds, statements per add), sampled alternately on one pooled connection."""
    engine = make_app_engine(url, pool_size=1, max_overflow=0)
    adds, pings = [], []
    try:
        statements, _ = statements_per_add(engine, actor, family)
        access = open_family(engine, actor, family)
        for i in range(samples + 5):
            start = time.perf_counter()
            add_transaction(access, draft(access, i))
            took = time.perf_counter() - start
            with engine.connect() as conn:  # the same (only) connection of this pool
                ping = select_one(conn)
                start = time.perf_counter()
                ping()
                pinged = time.perf_counter() - start
            if i >= 5:  # warm-up
                adds.append(took)
                pings.append(pinged)
    finally:
        engine.dispose()
    return adds, pings, statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--adds", type=int, default=1600, help="expenses added per scenario and round")
    parser.add_argument("--families", type=int, default=100, help="families the spread scenario writes to")
    parser.add_argument("--threads", default="1,8", help="writer thread counts, comma separated")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per scenario (the median is shown)")
    parser.add_argument("--samples", type=int, default=400, help="single-add latency samples per mode")
    args = parser.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]

    with throwaway_database("bench_write") as url:
        engine = make_app_engine(url, pool_size=max(thread_counts) + 2, max_overflow=0)
        owner = accounts.create_user(engine, "bench@example.com", "Bench", None).id
        plan = dict(
            currency="USD", timezone="America/New_York", monthly_income=520000, savings_goal=60000, period_start_day=1
        )
        solo = families.create_family(engine, owner, name="Solo", **plan).id
        many = [families.create_family(engine, owner, name=f"Family {i}", **plan).id for i in range(args.families)]
        listener = Listener(url)
        original = _uow.NOTIFY_INSIDE_TRANSACTION
        throughput: dict[tuple[bool, int, str], list[float]] = {}
        add_times: dict[tuple[bool, int, str], list[float]] = {}
        total = 0
        try:
            for _ in range(args.rounds):
                for inside in (False, True):
                    _uow.NOTIFY_INSIDE_TRANSACTION = inside
                    for threads in thread_counts:
                        for target, ids in (("1", [solo]), (str(args.families), many)):
                            wall, each = run_writers(engine, owner, ids, args.adds, threads)
                            total += len(each)
                            throughput.setdefault((inside, threads, target), []).append(len(each) / wall)
                            add_times.setdefault((inside, threads, target), []).extend(each)
            single = {}
            for inside in (False, True):
                _uow.NOTIFY_INSIDE_TRANSACTION = inside
                single[inside] = latency(url, owner, solo, args.samples)
                total += args.samples + 6
        finally:
            _uow.NOTIFY_INSIDE_TRANSACTION = original
            time.sleep(0.5)
            listener.close()

        owner_engine = make_engine(url, pool_size=1)  # the check reads every family's rows
        with owner_engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM transactions")).scalar()
            gaps = conn.execute(
                text(
                    "SELECT count(*) FROM families f WHERE f.version <> "
                    "(SELECT count(*) FROM events e WHERE e.family_id = f.id)"
                )
            ).scalar()
        owner_engine.dispose()
        engine.dispose()

    rows = []
    for (inside, threads, target), rates in sorted(throughput.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
        each = add_times[(inside, threads, target)]
        rows.append([MODES[inside], threads, target, f"{median(rates):,.0f}", ms(median(each)), ms(p95(each))])
    print_table(
        ["pg_notify", "writers", "families", "adds/s", "add median ms", "add p95 ms"],
        rows,
        title=f"Expenses added per second (median of {args.rounds} rounds of {args.adds} adds)",
    )

    rows = []
    for inside, (adds, pings, statements) in single.items():
        rows.append(
            [
                MODES[inside],
                ms(median(adds)),
                ms(p95(adds)),
                ms(median(pings)),
                f"{median(adds) / median(pings):.1f}×",
                statements,
            ]
        )
    print_table(
        ["pg_notify", "add median ms", "add p95 ms", "SELECT 1 median ms", "add / SELECT 1", "statements per add"],
        rows,
        title=f"One add next to a bare SELECT 1 on the same connection ({args.samples} samples each)",
    )

    print(
        f"\ncheck: {stored:,} rows stored of {total:,} adds; families whose version differs from their "
        f"event count: {gaps}; notifications heard by one listener: {listener.heard:,}"
    )
    verdict = []
    for threads in thread_counts:
        for target in ("1", str(args.families)):
            after = median(throughput[(False, threads, target)])
            inside = median(throughput[(True, threads, target)])
            faster = "after commit" if after >= inside else "inside the transaction"
            verdict.append(
                f"{threads} writer(s) into {target} famil{'y' if target == '1' else 'ies'}: "
                f"{faster} ({max(after, inside) / min(after, inside):.2f}×)"
            )
    print("faster pg_notify placement per scenario:\n  " + "\n  ".join(verdict))


if __name__ == "__main__":
    main()

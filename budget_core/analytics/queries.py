"""Pure queries over a family's transaction frame: a frame in, a frame out (DuckDB SQL or Polars).

The frame is :func:`budget_core.analytics.load.load_transactions`' result. DuckDB reads the Arrow
buffers of the Polars frame in place; nothing is copied.

- "Spending" means the fixed and variable kinds, net of refunds (refunds are negative). Savings
  count toward the savings goal and income is income; neither is spending.
- Month over month groups by the family's **budget periods** (see :mod:`budget_core.domain.period`), not
  calendar months; with ``period_start_day = 1`` they are the same.

All date ranges are local dates in the family's time zone, inclusive at both ends. Money columns
ending in ``_minor`` are integer minor units.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import polars as pl
from babel.dates import format_skeleton

from ..domain.allowance import Overview
from ..domain.period import next_period_bounds, period_bounds
from .load import KIND

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def sql_query(query: str, **frames: pl.DataFrame) -> pl.DataFrame:
    """Run DuckDB ``query`` over Polars ``frames`` (each visible under its keyword name); no copy.

    Each call gets its own cursor of one in-memory database: a cursor is DuckDB's way to use a
    connection from several threads (a web server's), and it costs about 1 ms where opening a new
    connection costs about 19 ms here. Registered frames are visible only to that cursor.
    """
    con = _duckdb().cursor()
    try:
        for name, frame in frames.items():
            con.register(name, frame)
        return con.sql(query).pl()
    finally:
        con.close()


_duck: duckdb.DuckDBPyConnection | None = None
_duck_lock = threading.Lock()


def _duckdb() -> duckdb.DuckDBPyConnection:
    global _duck
    with _duck_lock:
        if _duck is None:
            _duck = duckdb.connect()
        return _duck


def spending_by_category(tx: pl.DataFrame) -> pl.DataFrame:
    """Spending per top-level category (subcategories rolled up): ``category``, ``kind``,
    ``amount_minor``, ``transactions``, ``share`` (of all spending, 0–1); largest first."""
    return sql_query(
        """
        SELECT coalesce(parent_category, category)::VARCHAR AS category, kind::VARCHAR AS kind,
               sum(amount_minor)::BIGINT AS amount_minor, count(*)::BIGINT AS transactions,
               sum(amount_minor) / nullif(sum(sum(amount_minor)) OVER (), 0) AS share
        FROM tx WHERE kind IN ('fixed', 'variable')
        GROUP BY 1, 2 ORDER BY amount_minor DESC, category""",
        tx=tx,
    )


def spending_by_subcategory(tx: pl.DataFrame) -> pl.DataFrame:
    """Spending per subcategory, for drilling into a category: ``parent_category``, ``subcategory``
    (spending booked on the parent itself shows as '(Parent itself)'), ``kind``, ``amount_minor``,
    ``transactions``, ``share`` (of the parent's spending)."""
    return sql_query(
        """
        WITH sub AS (
            SELECT coalesce(parent_category, category)::VARCHAR AS parent_category,
                   CASE WHEN parent_category IS NULL THEN '(' || category || ' itself)'
                        ELSE category::VARCHAR END AS subcategory,
                   kind::VARCHAR AS kind, sum(amount_minor)::BIGINT AS amount_minor,
                   count(*)::BIGINT AS transactions
            FROM tx WHERE kind IN ('fixed', 'variable') GROUP BY 1, 2, 3)
        SELECT *, amount_minor / nullif(sum(amount_minor) OVER (PARTITION BY parent_category), 0) AS share
        FROM sub ORDER BY parent_category, amount_minor DESC, subcategory""",
        tx=tx,
    )


def spending_by_member(tx: pl.DataFrame) -> pl.DataFrame:
    """Spending per member and kind: ``member``, ``kind``, ``amount_minor``, ``transactions``."""
    return sql_query(
        """
        SELECT member::VARCHAR AS member, kind::VARCHAR AS kind, sum(amount_minor)::BIGINT AS amount_minor,
               count(*)::BIGINT AS transactions
        FROM tx WHERE kind IN ('fixed', 'variable') GROUP BY ALL ORDER BY member, kind""",
        tx=tx,
    )


def weekday_counts(date_from: date, date_to: date) -> list[int]:
    """How many Mondays … Sundays lie in ``date_from`` through ``date_to`` (inclusive)."""
    days = (date_to - date_from).days + 1
    counts = [days // 7] * 7
    for i in range(days % 7):
        counts[(date_from + timedelta(days=i)).weekday()] += 1
    return counts


def spending_by_weekday(tx: pl.DataFrame, date_from: date, date_to: date) -> pl.DataFrame:
    """Variable spending per weekday over the range (inclusive): ``weekday`` (1 = Monday),
    ``weekday_name``, ``amount_minor``, ``days`` (that weekday's count in the range) and
    ``average_minor`` (per such day, floored to a whole minor unit). Fixed costs are left out:
    rent on the 1st says nothing about habits."""
    totals = sql_query(
        """
        SELECT isodow(occurred_on)::BIGINT AS weekday, sum(amount_minor)::BIGINT AS amount_minor
        FROM tx WHERE kind = 'variable' GROUP BY ALL""",
        tx=tx,
    )
    week = pl.DataFrame(
        {"weekday": range(1, 8), "weekday_name": WEEKDAYS, "days": weekday_counts(date_from, date_to)},
        schema_overrides={"weekday": pl.Int64, "days": pl.Int64},
    )
    return (
        week.join(totals, on="weekday", how="left")
        .with_columns(pl.col("amount_minor").fill_null(0))
        .with_columns(
            pl.when(pl.col("days") > 0)
            .then(pl.col("amount_minor") // pl.col("days"))
            .otherwise(0)
            .alias("average_minor")
        )
        .select("weekday", "weekday_name", "amount_minor", "days", "average_minor")
    )


def top_descriptions(tx: pl.DataFrame, limit: int = 10) -> pl.DataFrame:
    """Where the everyday money went, by description (case and spacing ignored): ``description``,
    ``transactions``, ``amount_minor`` (net of refunds), ``last_on``; the ``limit`` largest
    positive totals. Fixed costs are left out: the rent is no discovery."""
    return sql_query(
        f"""
        SELECT min(description) AS description, count(*)::BIGINT AS transactions,
               sum(amount_minor)::BIGINT AS amount_minor, max(occurred_on) AS last_on
        FROM tx WHERE kind = 'variable'
        GROUP BY lower(trim(description)) HAVING sum(amount_minor) > 0
        ORDER BY amount_minor DESC, transactions DESC, description LIMIT {int(limit)}""",
        tx=tx,
    )


def periods(period_start_day: int, date_from: date, date_to: date, locale: str | None = None) -> pl.DataFrame:
    """The budget periods overlapping ``date_from`` … ``date_to``: ``period_start``, ``period_end``
    (inclusive), ``label`` in ``locale``'s short form ('Nov 2026' / 'Nov. 2026' when periods are calendar
    months, else their first day: 'Nov 15, ’26' / '15. Nov. 2026')."""
    rows = []
    start, end = period_bounds(period_start_day, date_from)
    while start <= date_to:
        label = format_skeleton("yMMM" if period_start_day == 1 else "yyMMMd", start, locale=locale or "en_US")
        rows.append((start, end, label))
        start, end = next_period_bounds(period_start_day, start)
    return pl.DataFrame(rows, schema={"period_start": pl.Date, "period_end": pl.Date, "label": pl.String}, orient="row")


def by_period(
    tx: pl.DataFrame,
    period_start_day: int,
    date_from: date,
    date_to: date,
    on: date | None = None,
    locale: str | None = None,
) -> pl.DataFrame:
    """Month over month by budget period: ``period_start``, ``period_end``, ``label``, ``fixed_minor``,
    ``variable_minor``, ``savings_minor``, ``income_minor``, ``spending_minor`` (fixed + variable),
    ``change`` (spending vs the previous period, fraction; null without one) and ``complete``
    (the period lies inside the range and ended on or before ``on``)."""
    table = periods(period_start_day, date_from, date_to, locale)
    days = table.select(pl.date_ranges("period_start", "period_end").alias("occurred_on"), "period_start").explode(
        "occurred_on"
    )
    per_day = sql_query(
        """
        SELECT occurred_on, sum(amount_minor) FILTER (kind = 'fixed')::BIGINT AS fixed_minor,
               sum(amount_minor) FILTER (kind = 'variable')::BIGINT AS variable_minor,
               sum(amount_minor) FILTER (kind = 'savings')::BIGINT AS savings_minor,
               sum(amount_minor) FILTER (kind = 'income')::BIGINT AS income_minor
        FROM tx GROUP BY occurred_on""",
        tx=tx,
    )
    sums = (
        days.join(per_day, on="occurred_on", how="inner")
        .group_by("period_start")
        .agg(pl.col("fixed_minor", "variable_minor", "savings_minor", "income_minor").sum())
    )
    last = on or date_to
    out = (
        table.join(sums, on="period_start", how="left")
        .with_columns(pl.col("fixed_minor", "variable_minor", "savings_minor", "income_minor").fill_null(0))
        .with_columns(
            (pl.col("fixed_minor") + pl.col("variable_minor")).alias("spending_minor"),
            ((pl.col("period_start") >= date_from) & (pl.col("period_end") <= min(date_to, last))).alias("complete"),
        )
        .sort("period_start")
    )
    previous = pl.col("spending_minor").shift(1)
    return out.with_columns(
        pl.when(previous > 0).then(pl.col("spending_minor") / previous - 1).otherwise(None).alias("change")
    )


def savings_progress(period_table: pl.DataFrame, savings_goal: int) -> pl.DataFrame:
    """Savings per budget period against the goal: ``period_start``, ``label``, ``saved_minor``,
    ``goal_minor``, ``progress`` (fraction of the goal; null when the goal is 0) and
    ``cumulative_minor``. ``period_table`` is :func:`by_period`'s result. The goal is today's plan:
    the plan's history is not kept."""
    return period_table.select(
        "period_start",
        "label",
        pl.col("savings_minor").alias("saved_minor"),
        pl.lit(savings_goal, dtype=pl.Int64).alias("goal_minor"),
        (pl.col("savings_minor") / savings_goal if savings_goal > 0 else pl.lit(None, dtype=pl.Float64)).alias(
            "progress"
        ),
        pl.col("savings_minor").cum_sum().alias("cumulative_minor"),
    )


def daily_frame(overview: Overview) -> pl.DataFrame:
    """The budget overview's days: ``day``, ``allowance_minor``, ``spent_minor``, ``balance_minor``,
    ``projected`` (after today)."""
    return pl.DataFrame(
        [(r.day, r.allowance, r.spent, r.balance, r.projected) for r in overview.rows],
        schema={
            "day": pl.Date,
            "allowance_minor": pl.Int64,
            "spent_minor": pl.Int64,
            "balance_minor": pl.Int64,
            "projected": pl.Boolean,
        },
        orient="row",
    )


@dataclass(frozen=True, slots=True)
class Totals:
    """The range's totals in minor units; ``spending`` = fixed + variable, net of refunds."""

    spending: int
    variable: int
    fixed: int
    saved: int
    income: int
    transactions: int

    @property
    def left_over(self) -> int:
        """Income minus spending minus savings (negative: more went out than came in)."""
        return self.income - self.spending - self.saved


def totals(tx: pl.DataFrame) -> Totals:
    sums = {k: 0 for k in KIND.categories}
    for kind, amount in tx.group_by("kind").agg(pl.col("amount_minor").sum()).iter_rows():
        sums[kind] = int(amount)
    return Totals(
        sums["fixed"] + sums["variable"], sums["variable"], sums["fixed"], sums["savings"], sums["income"], tx.height
    )

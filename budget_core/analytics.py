"""Spending insights: a family's transactions as a Polars frame, DuckDB queries over it, charts.

The Insights page, the Today page's charts, the export and the analyst notebooks all use these
functions; none of them re-implements a figure.

- :func:`load_transactions` reads one family's transactions with ``COPY … TO STDOUT (FORMAT csv)``
  straight into ``pl.read_csv`` with a fixed schema (measured against ``pandas.read_sql`` and
  ``pl.read_database`` in ``bench/analytics.py``). Money is ``amount_minor`` (Int64, minor units);
  ``amount`` is a float in major units for display only.
- The query functions (``spending_by_category`` …) take that frame and run DuckDB SQL over it in
  place (DuckDB reads the Arrow buffers of the Polars frame; nothing is copied) or Polars
  expressions. They are pure: a frame in, a frame out.
- "Spending" means the fixed and variable kinds, net of refunds (refunds are negative). Savings
  count toward the savings goal and income is income; neither is spending.
- Month over month groups by the family's **budget periods** (see :mod:`budget_core.domain.period`), not
  calendar months; with ``period_start_day = 1`` they are the same.
- The projection and the daily chart use ``services.budgets.overview``, the very figures the
  Today page shows (see :mod:`budget_core.domain.projection` for the method).

All date ranges are local dates in the family's time zone, inclusive at both ends. Callers must
have checked that the person may see the family (the UI frame does at sign-in).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import altair as alt
import duckdb
import polars as pl
import psycopg
from sqlalchemy import Engine, text

from . import charts
from .domain.allowance import Overview, Plan
from .db.scope import unfiltered
from .errors import ValidationError
from .domain.money import decimals
from .domain.period import ONE_DAY, next_period_bounds, period_bounds
from .domain.projection import Projection, project_overview
from .services import budgets

KIND = pl.Enum(["fixed", "variable", "savings", "income"])
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

TRANSACTION_SCHEMA = {
    "id": pl.Int64,
    "occurred_on": pl.Date,
    "kind": KIND,
    "category": pl.Categorical,  # the category booked (a subcategory's own name)
    "parent_category": pl.Categorical,  # null for a top-level category
    "member": pl.Categorical,
    "description": pl.String,
    "amount_minor": pl.Int64,  # minor units; expenses and income positive, refunds negative
    "currency": pl.Categorical,
}
"""The columns read from Postgres; :func:`load_transactions` adds ``amount`` (Float64, display only)."""

_FROM = """
    FROM transactions t
    JOIN families f ON f.id = t.family_id
    JOIN categories c ON c.family_id = t.family_id AND c.id = t.category_id
    LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id
    JOIN members m ON m.family_id = t.family_id AND m.user_id = t.user_id
    WHERE t.family_id = %(family_id)s AND t.occurred_on BETWEEN %(date_from)s AND %(date_to)s"""

SELECT_SQL = ("SELECT t.id, t.occurred_on, t.kind, c.name AS category, p.name AS parent_category, "
              "m.display_name AS member, t.description, t.amount AS amount_minor, f.currency" + _FROM)
"""The query behind :func:`load_transactions` (``%(name)s`` parameters from :func:`query_params`)."""


def _check_family_id(family_id: object) -> int:
    if isinstance(family_id, bool) or not isinstance(family_id, int):
        raise ValidationError(f"'{family_id}' is not a family id.")
    return family_id


def _check_range(date_from: object, date_to: object) -> tuple[date, date]:
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
            raise ValidationError(f"{name} must be a calendar date such as 2026-11-25, got {value!r}.")
    start, end = date_from or date(1970, 1, 1), date_to or date(9999, 12, 31)
    if start > end:
        raise ValidationError(f"The range starts ({start}) after it ends ({end}); swap the dates.")
    return start, end


def query_params(family_id: int, date_from: date | None = None, date_to: date | None = None) -> dict:
    """The checked parameters of :data:`SELECT_SQL`: ``family_id``, ``date_from``, ``date_to`` (inclusive)."""
    start, end = _check_range(date_from, date_to)
    return {"family_id": _check_family_id(family_id), "date_from": start, "date_to": end}


_ROWS_SQL = ("SELECT id, occurred_on, kind, category_id, user_id, description, amount FROM transactions "
             "WHERE family_id = %(family_id)s AND occurred_on BETWEEN %(date_from)s AND %(date_to)s")
_ROWS_SCHEMA = {"id": pl.Int64, "occurred_on": pl.Date, "kind": KIND, "category_id": pl.Int64, "user_id": pl.Int64,
                "description": pl.String, "amount_minor": pl.Int64}
_CATEGORIES_SQL = ("SELECT c.id, c.name, p.name FROM categories c LEFT JOIN categories p "
                   "ON p.family_id = c.family_id AND p.id = c.parent_id WHERE c.family_id = %(family_id)s")
_MEMBERS_SQL = "SELECT user_id, display_name FROM members WHERE family_id = %(family_id)s"
_CURRENCY_SQL = "SELECT trim(currency) FROM families WHERE id = %(family_id)s"


def copy_csv(conn: psycopg.Connection, select: str) -> bytes:
    """``COPY (select) TO STDOUT (FORMAT csv)`` on a psycopg connection, as one bytes object."""
    with conn.cursor() as cur, cur.copy(f"COPY ({select}) TO STDOUT (FORMAT csv)") as copy:
        # psycopg hands over one message per row; bytes() per chunk beats joining the memoryviews
        return b"".join(bytes(chunk) for chunk in copy)


def load_transactions(engine: Engine, family_id: int, date_from: date | None = None,
                      date_to: date | None = None) -> pl.DataFrame:
    """The family's transactions dated ``date_from`` through ``date_to`` (both inclusive; ``None``:
    unbounded), ordered by date then id, with the columns of :data:`TRANSACTION_SCHEMA` plus
    ``amount`` (Float64 in major units, display only — sum ``amount_minor``). The same rows as
    :data:`SELECT_SQL`.

    The transactions table alone goes through ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` into
    ``pl.read_csv`` with a fixed schema; the family's few categories and members come in small
    queries and are joined in Polars as categoricals (measured faster than joining on the server
    and sending every name with every row; see ``bench/analytics.py``). COPY takes no server-side
    parameters, so the values are type-checked by :func:`query_params` and rendered as SQL
    literals by psycopg's own client-side adaptation (``ClientCursor.mogrify``). One snapshot:
    everything is read in one repeatable-read transaction.
    """
    params = query_params(family_id, date_from, date_to)
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")  # first in the implicit BEGIN
        conn.execute("SELECT set_config('app.family_id', %s, true)", (str(params["family_id"]),))  # RLS scope
        currency = conn.execute(_CURRENCY_SQL, params).fetchone()
        categories = conn.execute(_CATEGORIES_SQL, params).fetchall()
        members = conn.execute(_MEMBERS_SQL, params).fetchall()
        data = copy_csv(conn, psycopg.ClientCursor(conn).mogrify(_ROWS_SQL, params))
        conn.commit()
    finally:
        raw.close()
    if currency is None or not data:
        frame = pl.DataFrame(schema=TRANSACTION_SCHEMA)
        return frame.with_columns(pl.lit(None, dtype=pl.Float64).alias("amount"))
    places = decimals(currency[0])
    cats = pl.DataFrame(categories, orient="row", schema={"category_id": pl.Int64, "category": pl.Categorical,
                                                         "parent_category": pl.Categorical})
    people = pl.DataFrame(members, orient="row", schema={"user_id": pl.Int64, "member": pl.Categorical})
    rows = pl.read_csv(io.BytesIO(data), has_header=False, schema=_ROWS_SCHEMA)
    return (rows.join(cats, on="category_id", how="left").join(people, on="user_id", how="left")
            .with_columns(pl.lit(currency[0], dtype=pl.Categorical).alias("currency"))
            .select(TRANSACTION_SCHEMA.keys()).sort("occurred_on", "id")
            .with_columns((pl.col("amount_minor") / 10 ** places).round(places).alias("amount")))


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


def _duckdb() -> duckdb.DuckDBPyConnection:
    global _duck
    with _today_lock:
        if _duck is None:
            _duck = duckdb.connect()
        return _duck


# -- queries: a frame in, a frame out ---------------------------------------------------------

def spending_by_category(tx: pl.DataFrame) -> pl.DataFrame:
    """Spending per top-level category (subcategories rolled up): ``category``, ``kind``,
    ``amount_minor``, ``transactions``, ``share`` (of all spending, 0–1); largest first."""
    return sql_query("""
        SELECT coalesce(parent_category, category)::VARCHAR AS category, kind::VARCHAR AS kind,
               sum(amount_minor)::BIGINT AS amount_minor, count(*)::BIGINT AS transactions,
               sum(amount_minor) / nullif(sum(sum(amount_minor)) OVER (), 0) AS share
        FROM tx WHERE kind IN ('fixed', 'variable')
        GROUP BY 1, 2 ORDER BY amount_minor DESC, category""", tx=tx)


def spending_by_subcategory(tx: pl.DataFrame) -> pl.DataFrame:
    """Spending per subcategory, for drilling into a category: ``parent_category``, ``subcategory``
    (spending booked on the parent itself shows as '(Parent itself)'), ``kind``, ``amount_minor``,
    ``transactions``, ``share`` (of the parent's spending)."""
    return sql_query("""
        WITH sub AS (
            SELECT coalesce(parent_category, category)::VARCHAR AS parent_category,
                   CASE WHEN parent_category IS NULL THEN '(' || category || ' itself)'
                        ELSE category::VARCHAR END AS subcategory,
                   kind::VARCHAR AS kind, sum(amount_minor)::BIGINT AS amount_minor,
                   count(*)::BIGINT AS transactions
            FROM tx WHERE kind IN ('fixed', 'variable') GROUP BY 1, 2, 3)
        SELECT *, amount_minor / nullif(sum(amount_minor) OVER (PARTITION BY parent_category), 0) AS share
        FROM sub ORDER BY parent_category, amount_minor DESC, subcategory""", tx=tx)


def spending_by_member(tx: pl.DataFrame) -> pl.DataFrame:
    """Spending per member and kind: ``member``, ``kind``, ``amount_minor``, ``transactions``."""
    return sql_query("""
        SELECT member::VARCHAR AS member, kind::VARCHAR AS kind, sum(amount_minor)::BIGINT AS amount_minor,
               count(*)::BIGINT AS transactions
        FROM tx WHERE kind IN ('fixed', 'variable') GROUP BY ALL ORDER BY member, kind""", tx=tx)


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
    totals = sql_query("""
        SELECT isodow(occurred_on)::BIGINT AS weekday, sum(amount_minor)::BIGINT AS amount_minor
        FROM tx WHERE kind = 'variable' GROUP BY ALL""", tx=tx)
    week = pl.DataFrame({"weekday": range(1, 8), "weekday_name": WEEKDAYS,
                         "days": weekday_counts(date_from, date_to)}, schema_overrides={"weekday": pl.Int64,
                                                                                          "days": pl.Int64})
    return week.join(totals, on="weekday", how="left").with_columns(
        pl.col("amount_minor").fill_null(0)).with_columns(
        pl.when(pl.col("days") > 0).then(pl.col("amount_minor") // pl.col("days")).otherwise(0)
        .alias("average_minor")).select("weekday", "weekday_name", "amount_minor", "days", "average_minor")


def top_descriptions(tx: pl.DataFrame, limit: int = 10) -> pl.DataFrame:
    """Where the everyday money went, by description (case and spacing ignored): ``description``,
    ``transactions``, ``amount_minor`` (net of refunds), ``last_on``; the ``limit`` largest
    positive totals. Fixed costs are left out: the rent is no discovery."""
    return sql_query(f"""
        SELECT min(description) AS description, count(*)::BIGINT AS transactions,
               sum(amount_minor)::BIGINT AS amount_minor, max(occurred_on) AS last_on
        FROM tx WHERE kind = 'variable'
        GROUP BY lower(trim(description)) HAVING sum(amount_minor) > 0
        ORDER BY amount_minor DESC, transactions DESC, description LIMIT {int(limit)}""", tx=tx)


def periods(period_start_day: int, date_from: date, date_to: date) -> pl.DataFrame:
    """The budget periods overlapping ``date_from`` … ``date_to``: ``period_start``, ``period_end``
    (inclusive), ``label`` ('Nov 2026' when periods are calendar months, else 'Nov 15 '26')."""
    rows = []
    start, end = period_bounds(period_start_day, date_from)
    while start <= date_to:
        label = f"{start:%b %Y}" if period_start_day == 1 else f"{start:%b} {start.day} '{start:%y}"
        rows.append((start, end, label))
        start, end = next_period_bounds(period_start_day, start)
    return pl.DataFrame(rows, schema={"period_start": pl.Date, "period_end": pl.Date, "label": pl.String},
                        orient="row")


def by_period(tx: pl.DataFrame, period_start_day: int, date_from: date, date_to: date,
              on: date | None = None) -> pl.DataFrame:
    """Month over month by budget period: ``period_start``, ``period_end``, ``label``, ``fixed_minor``,
    ``variable_minor``, ``savings_minor``, ``income_minor``, ``spending_minor`` (fixed + variable),
    ``change`` (spending vs the previous period, fraction; null without one) and ``complete``
    (the period lies inside the range and ended on or before ``on``)."""
    table = periods(period_start_day, date_from, date_to)
    days = table.select(pl.date_ranges("period_start", "period_end").alias("occurred_on"),
                        "period_start").explode("occurred_on")
    per_day = sql_query("""
        SELECT occurred_on, sum(amount_minor) FILTER (kind = 'fixed')::BIGINT AS fixed_minor,
               sum(amount_minor) FILTER (kind = 'variable')::BIGINT AS variable_minor,
               sum(amount_minor) FILTER (kind = 'savings')::BIGINT AS savings_minor,
               sum(amount_minor) FILTER (kind = 'income')::BIGINT AS income_minor
        FROM tx GROUP BY occurred_on""", tx=tx)
    sums = days.join(per_day, on="occurred_on", how="inner").group_by("period_start").agg(
        pl.col("fixed_minor", "variable_minor", "savings_minor", "income_minor").sum())
    last = on or date_to
    out = table.join(sums, on="period_start", how="left").with_columns(
        pl.col("fixed_minor", "variable_minor", "savings_minor", "income_minor").fill_null(0)).with_columns(
        (pl.col("fixed_minor") + pl.col("variable_minor")).alias("spending_minor"),
        ((pl.col("period_start") >= date_from) & (pl.col("period_end") <= min(date_to, last))).alias("complete"),
    ).sort("period_start")
    previous = pl.col("spending_minor").shift(1)
    return out.with_columns(
        pl.when(previous > 0).then(pl.col("spending_minor") / previous - 1).otherwise(None).alias("change"))


def savings_progress(period_table: pl.DataFrame, savings_goal: int) -> pl.DataFrame:
    """Savings per budget period against the goal: ``period_start``, ``label``, ``saved_minor``,
    ``goal_minor``, ``progress`` (fraction of the goal; null when the goal is 0) and
    ``cumulative_minor``. ``period_table`` is :func:`by_period`'s result. The goal is today's plan:
    the plan's history is not kept."""
    return period_table.select(
        "period_start", "label", pl.col("savings_minor").alias("saved_minor"),
        pl.lit(savings_goal, dtype=pl.Int64).alias("goal_minor"),
        (pl.col("savings_minor") / savings_goal if savings_goal > 0 else pl.lit(None, dtype=pl.Float64))
        .alias("progress"),
        pl.col("savings_minor").cum_sum().alias("cumulative_minor"))


def daily_frame(overview: Overview) -> pl.DataFrame:
    """The budget overview's days: ``day``, ``allowance_minor``, ``spent_minor``, ``balance_minor``,
    ``projected`` (after today)."""
    return pl.DataFrame([(r.day, r.allowance, r.spent, r.balance, r.projected) for r in overview.rows],
                        schema={"day": pl.Date, "allowance_minor": pl.Int64, "spent_minor": pl.Int64,
                                "balance_minor": pl.Int64, "projected": pl.Boolean}, orient="row")


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
    return Totals(sums["fixed"] + sums["variable"], sums["variable"], sums["fixed"], sums["savings"],
                  sums["income"], tx.height)


# -- what the pages call ---------------------------------------------------------------------

_today_cache: OrderedDict = OrderedDict()
_today_lock = threading.Lock()
_today_building: dict[tuple, threading.Lock] = {}


def today_charts(engine: Engine, family_id: int, on: date | None = None, *,
                 version: int | None = None) -> tuple[alt.LayerChart, alt.Chart]:
    """The Today page's two charts for the period containing ``on`` (default: the family's today):
    daily variable spending against the allowance with the projection, and spending by category
    from the period start through ``on``. Both use the same overview as the Today number.

    Cached by (family, version, date) like the daily budget, and built once: when several
    members' pages redraw after one change at the same moment, one builds the charts while the
    others wait for them (instead of all paying for the same work at once on a busy server).
    Pass the ``version`` the page already knows to skip even the version lookup; the charts are
    never stale because any change bumps it.
    """
    if version is None:
        version = budgets.load_inputs(engine, family_id, on).version
    key = (family_id, version, on)
    with _today_lock:
        hit = _today_cache.get(key)
        if hit is not None:
            return hit
        building = _today_building.setdefault(key, threading.Lock())
    with building:
        with _today_lock:
            hit = _today_cache.get(key)
        if hit is not None:
            return hit
        try:
            result = _build_today_charts(engine, family_id, on)
        except BaseException:
            with _today_lock:
                _today_building.pop(key, None)
            raise
        with _today_lock:
            _today_cache[key] = result
            _today_building.pop(key, None)
            while len(_today_cache) > 500:
                _today_cache.popitem(last=False)
        return result


def _build_today_charts(engine: Engine, family_id: int, on: date | None) -> tuple[alt.LayerChart, alt.Chart]:
    currency, overview = budgets.overview(engine, family_id, on)
    projection = project_overview(overview)
    daily = charts.daily_allowance_chart(daily_frame(overview), projection, currency)
    tx = load_transactions(engine, family_id, overview.period_start, overview.on)
    return daily, charts.category_chart(spending_by_category(tx), currency, title="Spending by category",
                                        subtitle=f"This period, {charts.span(overview.period_start, overview.on)}")


@dataclass(frozen=True)
class Insights:
    """Everything the Insights page shows for one family and range; money in minor units.

    Frames are documented at the query function of the same name; ``projection`` and ``daily`` are
    for the period containing ``on`` (the family's today), whatever the range.
    """

    family_id: int
    currency: str
    date_from: date
    date_to: date
    on: date
    totals: Totals
    by_category: pl.DataFrame
    by_subcategory: pl.DataFrame
    by_member: pl.DataFrame
    by_weekday: pl.DataFrame
    by_period: pl.DataFrame
    top_descriptions: pl.DataFrame
    savings: pl.DataFrame
    daily: pl.DataFrame
    projection: Projection
    charts: dict[str, alt.TopLevelMixin] = field(repr=False)

    @property
    def drillable(self) -> list[str]:
        """Categories that have subcategories with spending in the range."""
        subs = self.by_subcategory.filter(~pl.col("subcategory").str.ends_with(" itself)"))
        return sorted(subs.get_column("parent_category").unique().to_list())

    def subcategory_chart(self, parent: str) -> alt.Chart:
        return charts.subcategory_chart(self.by_subcategory, parent, self.currency)


def compute_insights(tx: pl.DataFrame, *, family_id: int, plan: Plan, currency: str, overview: Overview,
                     date_from: date, date_to: date) -> Insights:
    """:class:`Insights` from frames already loaded (pure; what ``bench/analytics.py`` times)."""
    by_cat, by_sub = spending_by_category(tx), spending_by_subcategory(tx)
    members, weekdays = spending_by_member(tx), spending_by_weekday(tx, date_from, date_to)
    period_table = by_period(tx, plan.period_start_day, date_from, date_to, overview.on)
    top, savings = top_descriptions(tx), savings_progress(period_table, plan.savings_goal)
    daily, projection = daily_frame(overview), project_overview(overview)
    drawn = {
        "daily": charts.daily_allowance_chart(daily, projection, currency),
        "projection": charts.projection_chart(daily, projection, currency),
        "category": charts.category_chart(by_cat, currency, subtitle=charts.span(date_from, date_to)),
        "member": charts.member_chart(members, currency),
        "weekday": charts.weekday_chart(weekdays, currency),
        "month_over_month": charts.period_chart(period_table, currency),
        "savings": charts.savings_chart(savings, currency),
        "top_descriptions": charts.top_descriptions_chart(top, currency),
    }
    return Insights(family_id, currency, date_from, date_to, overview.on, totals(tx), by_cat, by_sub, members,
                    weekdays, period_table, top, savings, daily, projection, drawn)


def insights(engine: Engine, family_id: int, date_from: date, date_to: date, *, on: date | None = None) -> Insights:
    """The Insights of ``family_id`` for ``date_from`` through ``date_to`` (inclusive, local dates);
    the projection is for the period containing ``on`` (default: the family's today)."""
    date_from, date_to = _check_range(date_from, date_to)
    inputs = budgets.load_inputs(engine, _check_family_id(family_id), on)
    currency, overview = budgets.overview(engine, family_id, inputs.on)
    tx = load_transactions(engine, family_id, date_from, date_to)
    return compute_insights(tx, family_id=family_id, plan=inputs.plan, currency=currency, overview=overview,
                            date_from=date_from, date_to=date_to)


def range_presets(period_start_day: int, today: date) -> dict[str, tuple[date, date]]:
    """Named date ranges for the range picker (inclusive): this period so far, last period, the
    last three periods, this year, the last 12 months."""
    this_start, _ = period_bounds(period_start_day, today)
    last_start, last_end = period_bounds(period_start_day, this_start - ONE_DAY)
    three_start = period_bounds(period_start_day, last_start - ONE_DAY)[0]
    year_ago = today.replace(year=today.year - 1) if not (today.month == 2 and today.day == 29) \
        else today.replace(year=today.year - 1, day=28)
    return {
        "This period": (this_start, today),
        "Last period": (last_start, last_end),
        "Last 3 periods": (three_start, today),
        "This year": (date(today.year, 1, 1), today),
        "Last 12 months": (year_ago + ONE_DAY, today),
    }


def list_families(engine: Engine) -> pl.DataFrame:
    """Every family with its size, for analysts choosing one: ``id``, ``name``, ``currency``,
    ``members``, ``transactions``, ``first_on``, ``last_on``. Not for the app: it crosses families."""
    query = text("""
        SELECT f.id, f.name, trim(f.currency) AS currency,
               (SELECT count(*) FROM members m WHERE m.family_id = f.id AND m.removed_at IS NULL) AS members,
               count(t.id) AS transactions, min(t.occurred_on) AS first_on, max(t.occurred_on) AS last_on
        FROM families f LEFT JOIN transactions t ON t.family_id = f.id
        GROUP BY f.id ORDER BY f.id""")
    with engine.connect() as conn:
        unfiltered(conn)  # every family (the owner's engine), or an error, never a filtered subset
        rows = conn.execute(query).all()
    return pl.DataFrame([tuple(r) for r in rows], orient="row", schema={
        "id": pl.Int64, "name": pl.String, "currency": pl.String, "members": pl.Int64,
        "transactions": pl.Int64, "first_on": pl.Date, "last_on": pl.Date})

"""Spending insights: a family's transactions as a Polars frame, DuckDB queries over it, charts.

The Insights page, the Today page's charts, the export and the analyst notebooks all use these
modules; none of them re-implements a figure.

- ``load``: Postgres → Polars (``COPY … TO STDOUT`` into a frame with a fixed schema), read as
  a member through the family handle.
- ``queries``: pure queries over that frame, a frame in and a frame out.
- ``charts``: Altair charts, a frame in and a chart out (no Streamlit, no database).
- ``report``: the Insights page's figures and charts for one family and range.
- ``today``: the Today page's two charts, cached by family version.
- ``export``: a family's transactions as CSV or Parquet with exact money.

May import ``budget_core.domain``, ``budget_core.db``, ``budget_core.errors`` and
``budget_core.services`` (for the budget overview); nothing here imports Streamlit or the UI.
The public names of ``load``, ``queries``, ``report`` and ``today`` are re-exported here, so
``from budget_core import analytics; analytics.load_transactions(…)`` works.
"""

from .load import KIND, SELECT_SQL, TRANSACTION_SCHEMA, copy_csv, load_transactions, query_params
from .queries import (
    WEEKDAYS,
    Totals,
    by_period,
    daily_frame,
    periods,
    savings_progress,
    spending_by_category,
    spending_by_member,
    spending_by_subcategory,
    spending_by_weekday,
    sql_query,
    top_descriptions,
    totals,
    weekday_counts,
)
from .report import Insights, compute_insights, insights, range_presets
from .today import today_charts

__all__ = [
    "KIND",
    "SELECT_SQL",
    "TRANSACTION_SCHEMA",
    "copy_csv",
    "load_transactions",
    "query_params",
    "WEEKDAYS",
    "Totals",
    "by_period",
    "daily_frame",
    "periods",
    "savings_progress",
    "spending_by_category",
    "spending_by_member",
    "spending_by_subcategory",
    "spending_by_weekday",
    "sql_query",
    "top_descriptions",
    "totals",
    "weekday_counts",
    "Insights",
    "compute_insights",
    "insights",
    "range_presets",
    "today_charts",
]

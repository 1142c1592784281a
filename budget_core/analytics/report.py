"""The Insights report: every figure and chart the Insights page shows for one family and range.

:func:`insights` loads the range and calls :func:`compute_insights`, which is pure (frames in,
:class:`Insights` out; what ``bench/analytics.py`` times). The projection and the daily chart use
``services.budgets.overview``, the very figures the Today page shows (see
:mod:`budget_core.domain.projection` for the method).

All date ranges are local dates in the family's time zone, inclusive at both ends. Callers must
have checked that the person may see the family (the UI frame does at sign-in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import altair as alt
import polars as pl

from ..domain.allowance import Overview, Plan
from ..domain.period import ONE_DAY, period_bounds
from ..domain.projection import Projection, project_overview
from ..services import budgets
from ..services.access import FamilyAccess
from . import charts
from .load import checked_range, load_transactions
from .queries import (
    Totals,
    by_period,
    daily_frame,
    savings_progress,
    spending_by_category,
    spending_by_member,
    spending_by_subcategory,
    spending_by_weekday,
    top_descriptions,
    totals,
)


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
    locale: str | None = None  # how money and dates are written in the charts

    @property
    def drillable(self) -> list[str]:
        """Categories that have subcategories with spending in the range."""
        subs = self.by_subcategory.filter(~pl.col("subcategory").str.ends_with(" itself)"))
        return sorted(subs.get_column("parent_category").unique().to_list())

    def subcategory_chart(self, parent: str) -> alt.TopLevelMixin:
        return charts.subcategory_chart(self.by_subcategory, parent, self.currency, self.locale)


def compute_insights(
    tx: pl.DataFrame,
    *,
    family_id: int,
    plan: Plan,
    currency: str,
    overview: Overview,
    date_from: date,
    date_to: date,
    locale: str | None = None,
) -> Insights:
    """:class:`Insights` from frames already loaded (pure; what ``bench/analytics.py`` times)."""
    by_cat, by_sub = spending_by_category(tx), spending_by_subcategory(tx)
    members, weekdays = spending_by_member(tx), spending_by_weekday(tx, date_from, date_to)
    period_table = by_period(tx, plan.period_start_day, date_from, date_to, overview.on, locale)
    top, savings = top_descriptions(tx), savings_progress(period_table, plan.savings_goal)
    daily, projection = daily_frame(overview), project_overview(overview)
    drawn = {
        "daily": charts.daily_allowance_chart(daily, projection, currency, locale),
        "projection": charts.projection_chart(daily, projection, currency, locale),
        "category": charts.category_chart(
            by_cat, currency, subtitle=charts.span(date_from, date_to, locale), locale=locale
        ),
        "member": charts.member_chart(members, currency, locale),
        "weekday": charts.weekday_chart(weekdays, currency, locale),
        "month_over_month": charts.period_chart(period_table, currency, locale),
        "savings": charts.savings_chart(savings, currency, locale),
        "top_descriptions": charts.top_descriptions_chart(top, currency, locale),
    }
    return Insights(
        family_id,
        currency,
        date_from,
        date_to,
        overview.on,
        totals(tx),
        by_cat,
        by_sub,
        members,
        weekdays,
        period_table,
        top,
        savings,
        daily,
        projection,
        drawn,
        locale,
    )


def insights(
    access: FamilyAccess, date_from: date, date_to: date, *, on: date | None = None, locale: str | None = None
) -> Insights:
    """The family's Insights for ``date_from`` through ``date_to`` (inclusive, local dates); the
    projection is for the period containing ``on`` (default: the family's today). Money and dates
    are written in ``locale`` (default: the family's)."""
    date_from, date_to = checked_range(date_from, date_to)
    inputs = budgets.load_inputs(access, on)
    currency, overview = budgets.overview(access, inputs.on)
    tx = load_transactions(access, date_from, date_to)
    return compute_insights(
        tx,
        family_id=access.family_id,
        plan=inputs.plan,
        currency=currency,
        overview=overview,
        date_from=date_from,
        date_to=date_to,
        locale=locale or access.family.locale(),
    )


def range_presets(period_start_day: int, today: date) -> dict[str, tuple[date, date]]:
    """Named date ranges for the range picker (inclusive): this period so far, last period, the
    last three periods, this year, the last 12 months."""
    this_start, _ = period_bounds(period_start_day, today)
    last_start, last_end = period_bounds(period_start_day, this_start - ONE_DAY)
    three_start = period_bounds(period_start_day, last_start - ONE_DAY)[0]
    year_ago = (
        today.replace(year=today.year - 1)
        if not (today.month == 2 and today.day == 29)
        else today.replace(year=today.year - 1, day=28)
    )
    return {
        "This period": (this_start, today),
        "Last period": (last_start, last_end),
        "Last 3 periods": (three_start, today),
        "This year": (date(today.year, 1, 1), today),
        "Last 12 months": (year_ago + ONE_DAY, today),
    }

"""The Today page's two charts, cached by (family, version, date) and built once per key.

Both charts use the same budget overview as the Today number (``services.budgets.overview``), so
the chart and the figure agree by construction. The cache (the 500 most recent keys) is the
shared ``services.cache.VersionCache``, like the daily budget's.
"""

from __future__ import annotations

from datetime import date

from ..domain.projection import project_overview
from ..services import budgets
from ..services.access import FamilyAccess
from ..services.cache import VersionCache
from . import charts
from .load import load_transactions
from .queries import daily_frame, spending_by_category

_charts = VersionCache(500)


def today_charts(
    access: FamilyAccess, on: date | None = None, *, version: int | None = None, locale: str | None = None
) -> tuple[charts.Figure, charts.Figure]:
    """The Today page's two charts for the period containing ``on`` (default: the family's today):
    daily variable spending against the allowance with the projection, and spending by category
    from the period start through ``on``. Both use the same overview as the Today number.

    Cached by (family, version, date) like the daily budget, and built once: when several
    members' pages redraw after one change at the same moment, one builds the charts while the
    others wait for them (instead of all paying for the same work at once on a busy server).
    Pass the ``version`` the page already knows to skip even the version lookup; the charts are
    never stale because any change bumps it. ``locale`` (default: the family's) writes the money.
    """
    if version is None:
        version = budgets.load_inputs(access, on).version
    locale = locale or access.family.locale()
    return _charts.get_or_build(
        (access.family_id, version, on, locale), lambda: _build_today_charts(access, on, locale)
    )


def _build_today_charts(access: FamilyAccess, on: date | None, locale: str) -> tuple[charts.Figure, charts.Figure]:
    currency, overview = budgets.overview(access, on)
    projection = project_overview(overview)
    daily = charts.daily_allowance_chart(daily_frame(overview), projection, currency, locale)
    tx = load_transactions(access, overview.period_start, overview.on)
    return daily, charts.category_chart(
        spending_by_category(tx),
        currency,
        title="Spending by category",
        subtitle=f"This period, {charts.span(overview.period_start, overview.on, locale)}",
        locale=locale,
    )

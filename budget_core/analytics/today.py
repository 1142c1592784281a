"""The Today page's two charts, cached by (family, version, date) and built once per key.

Both charts use the same budget overview as the Today number (``services.budgets.overview``), so
the chart and the figure agree by construction. The cache (the 500 most recent keys) and its lock
are this module's own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date

import altair as alt
from sqlalchemy import Engine

from ..domain.projection import project_overview
from ..services import budgets
from . import charts
from .load import load_transactions
from .queries import daily_frame, spending_by_category

_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()
_building: dict[tuple, threading.Lock] = {}


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
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            return hit
        building = _building.setdefault(key, threading.Lock())
    with building:
        with _lock:
            hit = _cache.get(key)
        if hit is not None:
            return hit
        try:
            result = _build_today_charts(engine, family_id, on)
        except BaseException:
            with _lock:
                _building.pop(key, None)
            raise
        with _lock:
            _cache[key] = result
            _building.pop(key, None)
            while len(_cache) > 500:
                _cache.popitem(last=False)
        return result


def _build_today_charts(engine: Engine, family_id: int, on: date | None) -> tuple[alt.LayerChart, alt.Chart]:
    currency, overview = budgets.overview(engine, family_id, on)
    projection = project_overview(overview)
    daily = charts.daily_allowance_chart(daily_frame(overview), projection, currency)
    tx = load_transactions(engine, family_id, overview.period_start, overview.on)
    return daily, charts.category_chart(spending_by_category(tx), currency, title="Spending by category",
                                        subtitle=f"This period, {charts.span(overview.period_start, overview.on)}")

"""The daily budget of a family, read with one indexed query and cached by version.

``daily_budget`` reads the plan and the period's totals by day and kind in one statement (an
index-only range scan of ``transactions (family_id, occurred_on) INCLUDE (kind, amount)`` over
at most 32 days, so its cost does not grow with history), then calls the pure
``allowance.compute_daily_budget``. Results are cached by (family, version, date): any change
to the family bumps its version, so a cached answer is never stale. A caller that already knows
the version (the sync watcher's) gets a repeat with no query at all. The statement is the database
function ``budget_inputs`` (migration 0006), which scopes itself to the family for row-level
security, so an uncached answer is one round trip.

Callers must have checked that the person may see the family (the UI frame does at sign-in).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import Connection, Engine, text

from ..ops.reliability import measure
from ..domain.allowance import DailyBudget, DayTotal, Overview, Plan, compute_daily_budget, month_overview
from ..errors import NotFound

# The read itself lives in the database (migration 0006): one statement that scopes itself to the
# family for row-level security and returns the plan, the version and the period's totals.
_QUERY = text("SELECT * FROM budget_inputs(:f, :on)")



@dataclass(frozen=True, slots=True)
class BudgetInputs:
    family_id: int
    version: int
    currency: str
    timezone: str
    on: date
    plan: Plan
    totals: tuple[DayTotal, ...]


@dataclass(frozen=True, slots=True)
class FamilyBudget:
    """The daily budget plus what is needed to show it (currency) and to know its freshness (version)."""

    family_id: int
    version: int
    currency: str
    budget: DailyBudget


class _Cache:
    """A small thread-safe LRU with hit and miss counters."""

    def __init__(self, size: int = 20_000):
        self.size, self.hits, self.misses = size, 0, 0
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, *, count: bool = True):
        """The cached value or None; ``count=False`` for a second look-up within one call."""
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += int(count)
                return None
            self.hits += int(count)
            self._data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0


_budgets = _Cache()
_overviews = _Cache(2_000)


def cache_stats() -> dict:
    total = _budgets.hits + _budgets.misses
    return {"hits": _budgets.hits, "misses": _budgets.misses, "hit_rate": (_budgets.hits / total) if total else None}


def clear_cache() -> None:
    _budgets.clear()
    _overviews.clear()


def load_inputs(engine: Engine, family_id: int, on: date | None = None) -> BudgetInputs:
    """One query: the plan, the version and the totals by day and kind for the 32 days up to ``on``."""
    # Autocommit: the one statement is its own transaction, so no BEGIN and no ROLLBACK round trips.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return load_inputs_on(conn, family_id, on)


def load_inputs_on(conn: Connection, family_id: int, on: date | None = None) -> BudgetInputs:
    """``load_inputs`` on an open connection (inside a write transaction it sees that transaction's rows)."""
    rows = conn.execute(_QUERY, {"f": family_id, "on": on}).all()
    if not rows:
        raise NotFound(f"There is no family {family_id}.")
    first = rows[0]
    plan = Plan(first.monthly_income, first.fixed_planned, first.savings_goal, first.period_start_day)
    totals = tuple(DayTotal(r.occurred_on, r.kind, r.total) for r in rows if r.kind is not None)
    return BudgetInputs(family_id, first.version, first.currency.strip(), first.timezone, first.on_day, plan, totals)


@measure("budget.daily")
def daily_budget(engine: Engine, family_id: int, on: date | None = None, *, version: int | None = None,
                 timezone_name: str | None = None, now: datetime | None = None) -> FamilyBudget:
    """How much the family can spend on ``on`` (default: today in the family's time zone).

    With ``version`` (and, when ``on`` is omitted, ``timezone_name``) a cached answer costs no
    query; otherwise one query.
    """
    if on is None and timezone_name is not None:
        from ..domain.period import local_today

        on = local_today(timezone_name, now or datetime.now(timezone.utc))
    looked_up = version is not None and on is not None
    if looked_up:
        cached = _budgets.get((family_id, version, on))
        if cached is not None:
            return cached
    inputs = load_inputs(engine, family_id, on)
    key = (family_id, inputs.version, inputs.on)
    if version is None or inputs.version != version or on is None:
        cached = _budgets.get(key, count=not looked_up)  # each call counts one hit or one miss
        if cached is not None:
            return cached
    result = FamilyBudget(family_id, inputs.version, inputs.currency,
                          compute_daily_budget(inputs.plan, inputs.totals, inputs.on))
    _budgets.put(key, result)
    return result


def overview(engine: Engine, family_id: int, on: date | None = None) -> tuple[str, Overview]:
    """(currency, per-day rows of the period containing ``on`` with the pace projection)."""
    inputs = load_inputs(engine, family_id, on)
    key = (family_id, inputs.version, inputs.on)
    cached = _overviews.get(key)
    if cached is None:
        cached = (inputs.currency, month_overview(inputs.plan, inputs.totals, inputs.on))
        _overviews.put(key, cached)
    return cached

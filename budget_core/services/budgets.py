"""The daily budget of a family, read with one indexed query and cached by version.

``daily_budget`` reads the plan and the period's totals by day and kind in one statement (index-only
range scans of ``transactions (family_id, occurred_on) INCLUDE (kind, amount, parts)`` and of the
split parts over at most 32 days, so its cost does not grow with history; a bill payment is stored
as fixed spending, a split counts by its parts), then calls the pure
``allowance.compute_daily_budget``. With carry-over on, the same statement also returns the totals
by period since the period before it was switched on, and the pure ``allowance.carried_in`` turns
them into what this period carries in — computed, never stored. Results are cached by (family, version, date): any change
to the family bumps its version, so a cached answer is never stale. A caller that already knows
the version (the sync watcher's) gets a repeat with no query at all: the family handle is the
proof that the person may see it. The statement is the database function ``budget_inputs``
(migrations 0006, 0007), which enters the family through the database's door — the person must be
a current member — so an uncached answer is one round trip that re-checks membership too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, text

from ..db.door import door_errors
from ..domain.allowance import (
    DailyBudget,
    DayTotal,
    Overview,
    PeriodTotal,
    Plan,
    carried_in,
    compute_daily_budget,
    month_overview,
)
from ..errors import NotFound
from ..ops.reliability import measure
from .access import FamilyAccess
from .cache import VersionCache

# The read itself lives in the database (migration 0007): one statement that enters the family as
# the member (row-level security, membership) and returns the plan, the version and the period's totals.
_QUERY = text("SELECT * FROM budget_inputs(:f, :u, :on)")


@dataclass(frozen=True, slots=True)
class BudgetInputs:
    family_id: int
    version: int
    currency: str
    timezone: str
    on: date
    plan: Plan
    totals: tuple[DayTotal, ...]
    carry_over_since: date | None = None
    period_totals: tuple[PeriodTotal, ...] = ()

    @property
    def carried_in(self) -> int:
        """What the period of ``on`` carries in (0 with carry-over off), from the periods' totals."""
        return carried_in(self.plan, self.period_totals, self.on, self.carry_over_since)

    def budget(self) -> DailyBudget:
        """The daily budget on ``on``: the one pure function on these inputs."""
        return compute_daily_budget(
            self.plan, self.totals, self.on, self.carried_in, carry_over=self.carry_over_since is not None
        )


@dataclass(frozen=True, slots=True)
class FamilyBudget:
    """The daily budget plus what is needed to show it (currency) and to know its freshness (version)."""

    family_id: int
    version: int
    currency: str
    budget: DailyBudget


_budgets = VersionCache(20_000)
_overviews = VersionCache(2_000)


def cache_stats() -> dict:
    total = _budgets.hits + _budgets.misses
    return {"hits": _budgets.hits, "misses": _budgets.misses, "hit_rate": (_budgets.hits / total) if total else None}


def clear_cache() -> None:
    _budgets.clear()
    _overviews.clear()


def load_inputs(access: FamilyAccess, on: date | None = None) -> BudgetInputs:
    """One query: the plan, the version and the totals by day and kind for the 32 days up to ``on``."""
    # Autocommit: the one statement is its own transaction, so no BEGIN and no ROLLBACK round trips.
    with access.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return load_inputs_on(conn, access, on)


def load_inputs_on(conn: Connection, access: FamilyAccess, on: date | None = None) -> BudgetInputs:
    """``load_inputs`` on an open connection (inside a write transaction it sees that transaction's rows)."""
    family_id = access.family_id
    with door_errors():
        rows = conn.execute(_QUERY, {"f": family_id, "u": access.user_id, "on": on}).all()
    if not rows:
        raise NotFound(f"There is no family {family_id}.")
    first = rows[0]
    plan = Plan(first.monthly_income, first.fixed_planned, first.savings_goal, first.period_start_day)
    totals = tuple(DayTotal(r.occurred_on, r.kind, r.total) for r in rows if r.occurred_on is not None)
    periods = tuple(PeriodTotal(r.period_from, r.kind, r.total) for r in rows if r.period_from is not None)
    return BudgetInputs(
        family_id,
        first.version,
        first.currency.strip(),
        first.timezone,
        first.on_day,
        plan,
        totals,
        first.carry_over_since,
        periods,
    )


@measure("budget.daily")
def daily_budget(
    access: FamilyAccess, on: date | None = None, *, version: int | None = None, now: datetime | None = None
) -> FamilyBudget:
    """How much the family can spend on ``on`` (default: today in the family's time zone).

    With ``version`` (the watcher's, or the handle's) a cached answer costs no query; otherwise one.
    """
    family_id = access.family_id
    on = on or access.today(now)
    looked_up = version is not None
    if looked_up:
        cached = _budgets.get((family_id, version, on))
        if cached is not None:
            return cached
    inputs = load_inputs(access, on)
    key = (family_id, inputs.version, inputs.on)
    if version is None or inputs.version != version:
        cached = _budgets.get(key, count=not looked_up)  # each call counts one hit or one miss
        if cached is not None:
            return cached
    result = FamilyBudget(family_id, inputs.version, inputs.currency, inputs.budget())
    _budgets.put(key, result)
    return result


def overview(access: FamilyAccess, on: date | None = None) -> tuple[str, Overview]:
    """(currency, per-day rows of the period containing ``on`` with the pace projection)."""
    inputs = load_inputs(access, on)
    return _overviews.get_or_build(
        (access.family_id, inputs.version, inputs.on),
        lambda: (inputs.currency, month_overview(inputs.plan, inputs.totals, inputs.on, inputs.carried_in)),
    )

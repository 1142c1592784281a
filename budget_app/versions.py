"""Where the change poller learns a family's newest version.

The sync watcher (``budget_core.sync``) answers from memory, normally without a query; until it
is importable the poller falls back to one primary-key lookup. Switching is this one function.
"""

from __future__ import annotations

from sqlalchemy import Engine

from budget_core.services import activity

try:  # the lead's watcher; optional until it lands
    from budget_core.sync import get_watcher as _get_watcher
except ImportError:  # pragma: no cover - depends on what is merged
    _get_watcher = None


def watch(family_id: int) -> None:
    """Tell the process's watcher that a session has this family open."""
    if _get_watcher is not None:
        _get_watcher().watch(family_id)


def latest_version(engine: Engine, family_id: int) -> int | None:
    """The newest known version of the family (watcher first, database as the fallback)."""
    if _get_watcher is not None:
        known = _get_watcher().latest(family_id)
        if known is not None:
            return known
    return activity.family_version(engine, family_id)


def database_version(engine: Engine, family_id: int) -> int | None:
    """The version read from the database itself (used when a full page run catches up)."""
    return activity.family_version(engine, family_id)

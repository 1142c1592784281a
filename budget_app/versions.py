"""Where the web app learns a family's newest version: the process's sync watcher.

The watcher (``budget_core.sync``) answers from memory while its LISTEN connection is up, and
with one indexed query while it reconnects. :func:`wake_sessions_on_change` hooks the session
waker (``wake.py``) to it, once per process.
"""

from __future__ import annotations

from sqlalchemy import Engine

from budget_core.config import settings
from budget_core.sync import get_watcher

from . import wake


def watch(family_id: int) -> None:
    """Tell the process's watcher that a session has this family open."""
    get_watcher().watch(family_id)


def latest_version(engine: Engine, family_id: int) -> int | None:
    """The newest known version of the family."""
    return get_watcher(engine).latest(family_id)


def wake_sessions_on_change() -> None:
    """From now on, a change the watcher hears of wakes the family's open sessions at once
    (unless ``BUDGET_WAKE_SESSIONS=0``: then they see it at their next poll)."""
    if settings().wake_sessions:
        get_watcher().subscribe(wake.on_change)

"""The app process's poster of scheduled entries: every ``BUDGET_SCHEDULE_SECONDS`` (default 60) a
daemon thread runs :func:`budget_core.services.schedules.run_due` — once at start, so occurrences
missed while the server was down are posted at once, each dated on its day.

Several app processes may each run one: the poster's advisory lock lets one work at a time and the
occurrence key makes every posting exactly once anyway. A failed run (the database away) is logged
and retried after a growing pause; the thread never dies of it.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from ..config import settings
from ..errors import BudgetError
from .reliability import backoff_delay

log = logging.getLogger(__name__)

_lock = threading.Lock()
_started: dict[int, tuple[threading.Thread, threading.Event]] = {}


def start_poster(engine: Engine, *, every: float | None = None) -> threading.Thread | None:
    """Start this process's poster for ``engine`` once (later calls return the same thread); None when
    switched off (``BUDGET_SCHEDULE_SECONDS=0``)."""
    every = settings().schedule_seconds if every is None else every
    if every <= 0:
        return None
    with _lock:
        found = _started.get(id(engine))
        if found is None or not found[0].is_alive():
            stop = threading.Event()
            thread = threading.Thread(target=_loop, args=(engine, every, stop), name="schedule-poster", daemon=True)
            found = _started[id(engine)] = (thread, stop)
            thread.start()
        return found[0]


def stop_poster(engine: Engine) -> None:
    """Stop this process's poster for ``engine`` (tests; the app's runs until the process ends)."""
    with _lock:
        found = _started.pop(id(engine), None)
    if found is not None:
        found[1].set()
        found[0].join(timeout=10)


def _loop(engine: Engine, every: float, stop: threading.Event) -> None:
    from ..services.schedules import run_due

    failures = 0
    while not stop.is_set():
        try:
            report = run_due(engine)
            failures = 0
            if report.posted:
                log.info("posted %d scheduled entries", len(report.posted))
            pause = every
        except (DBAPIError, BudgetError) as err:
            failures += 1
            pause = max(every, backoff_delay(failures, base_s=2.0, cap_s=300.0))
            log.warning("scheduled entries not posted (retry in %.0f s): %s", pause, err)
        stop.wait(pause)

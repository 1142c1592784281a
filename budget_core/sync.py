"""Seeing changes: one watcher per process keeps the newest version of each family in memory.

The watcher LISTENs on ``family_changes`` (``'<family_id>:<version>'`` payloads, sent by every
write; see ``services/_uow.py``). Every ``refresh_s`` seconds it also re-reads, in one query, the
versions of the families that have open sessions, so a notification lost between commit and
NOTIFY delays a change by at most that long, never hides it. If its connection drops it
reconnects with full-jitter exponential backoff, and until then ``latest`` answers from an
indexed primary-key lookup.

Browser sessions compare their cursor with ``latest(family_id)``: while the watcher is
connected that is a dictionary read, no database round trip. Whoever wants to hear about a newer
version the moment it is known (the web app wakes the family's open sessions) ``subscribe``s a
callback; it runs on the watcher's thread, so it must be quick and must not block.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from .ops.reliability import backoff_delay
from .services._uow import CHANNEL

log = logging.getLogger(__name__)

APPLICATION_NAME = "family-budget-watcher"  # how its connection shows in pg_stat_activity


@dataclass(frozen=True)
class WatcherState:
    connected: bool
    last_notification_at: float | None
    notifications: int
    reconnects: int
    fallback_queries: int
    watched_families: int
    last_error: str | None


class Watcher:
    """Newest known version per family, kept fresh by LISTEN/NOTIFY and a periodic re-read."""

    def __init__(self, engine: Engine, *, refresh_s: float = 3.0, watch_ttl_s: float = 900.0):
        self.engine = engine
        self.refresh_s = refresh_s
        self.watch_ttl_s = watch_ttl_s
        self._versions: dict[int, int] = {}
        self._subscribers: list[Callable[[int, int], None]] = []
        self._watched: dict[int, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._conn: psycopg.Connection | None = None
        self.notifications = 0
        self.reconnects = 0
        self.fallback_queries = 0
        self.last_notification_at: float | None = None
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="family-watcher", daemon=True)
        self._thread.start()

    # --- what sessions call -------------------------------------------------------------
    def watch(self, family_id: int) -> None:
        """Mark a family as having an open session (its version is re-read periodically)."""
        with self._lock:
            self._watched[family_id] = time.monotonic()

    def latest(self, family_id: int) -> int | None:
        """The family's newest version: from memory while connected, else one indexed query."""
        self.watch(family_id)
        if self._connected.is_set():
            with self._lock:
                known = self._versions.get(family_id)
            if known is not None:
                return known
        return self._read_one(family_id)

    def subscribe(self, callback: Callable[[int, int], None]) -> None:
        """Call ``callback(family_id, version)`` whenever a family's known version moves forward."""
        with self._lock:
            if callback not in self._subscribers:
                self._subscribers.append(callback)

    def state(self) -> WatcherState:
        with self._lock:
            watched = len(self._watched)
        return WatcherState(
            self._connected.is_set(),
            self.last_notification_at,
            self.notifications,
            self.reconnects,
            self.fallback_queries,
            watched,
            self.last_error,
        )

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return self._connected.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        conn = self._conn
        if conn is not None:
            try:
                conn.cancel()
            except psycopg.Error:
                pass
        self._thread.join(timeout=5)

    # --- internals ----------------------------------------------------------------------
    def _note(self, family_id: int, version: int) -> None:
        with self._lock:
            known = self._versions.get(family_id)
            if known is not None and version <= known:
                return
            self._versions[family_id] = version
            subscribers = list(self._subscribers) if known is not None else []
        # A first sighting is the baseline, not a change (a session that was behind it still has its poll).
        for callback in subscribers:
            try:
                callback(family_id, version)
            except Exception:  # one broken subscriber must not stop the watcher
                log.exception("change subscriber failed")

    def _read_one(self, family_id: int) -> int | None:
        self.fallback_queries += 1
        with self.engine.connect() as conn:
            version = conn.execute(
                text("SELECT version FROM family_versions(ARRAY[CAST(:f AS bigint)])"), {"f": family_id}
            ).scalar()
        if version is not None:
            self._note(family_id, version)
        return version

    def _watched_ids(self) -> list[int]:
        cutoff = time.monotonic() - self.watch_ttl_s
        with self._lock:
            for fid in [f for f, seen in self._watched.items() if seen < cutoff]:
                del self._watched[fid]
                self._versions.pop(fid, None)
            return list(self._watched)

    def _refresh(self, conn: psycopg.Connection) -> None:
        ids = self._watched_ids()
        if ids:
            for fid, version in conn.execute("SELECT id, version FROM family_versions(%s)", (ids,)):
                self._note(fid, version)

    def _listen_target(self) -> tuple[str, str | None]:
        """(libpq URL, role to SET) of the LISTEN connection: straight to the server, as the app's role.

        The app's engine may run through a transaction-mode pooler, which cannot carry LISTEN;
        ``make_app_engine`` records where a direct session goes (``engine.budget_listen``).
        """
        url, role = getattr(self.engine, "budget_listen", None) or (self.engine.url, None)
        return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False), role

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                conninfo, role = self._listen_target()
                with psycopg.connect(conninfo, autocommit=True, application_name=APPLICATION_NAME) as conn:
                    self._conn = conn
                    if role:  # the same least-privileged role as the app's own connections
                        conn.execute(f'SET ROLE "{role}"')
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._refresh(conn)  # catch up on whatever changed while we were away
                    self._connected.set()
                    attempt = 0
                    next_refresh = time.monotonic() + self.refresh_s
                    while not self._stop.is_set():
                        wait = max(0.05, next_refresh - time.monotonic())
                        for note in conn.notifies(timeout=wait):
                            self._on_notify(note.payload)
                        if time.monotonic() >= next_refresh:
                            self._refresh(conn)
                            next_refresh = time.monotonic() + self.refresh_s
            except psycopg.Error as exc:
                self.last_error = (
                    f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
                )
            finally:
                self._connected.clear()
                self._conn = None
            if self._stop.is_set():
                return
            attempt += 1
            self.reconnects += 1
            delay = backoff_delay(attempt, base_s=0.1, cap_s=5.0)
            log.warning("change watcher lost its connection (%s); retrying in %.2f s", self.last_error, delay)
            self._stop.wait(delay)

    def _on_notify(self, payload: str) -> None:
        family, _, version = payload.partition(":")
        try:
            fid, ver = int(family), int(version)
        except ValueError:
            return
        self.notifications += 1
        self.last_notification_at = time.time()
        trace("notified", fid, ver)
        self._note(fid, ver)


_trace_fd: int | None = None
_trace_checked = False


def trace(event: str, family_id: int, version: int, **fields: object) -> None:
    """With ``BUDGET_SYNC_TRACE`` set, append one line saying when ``event`` happened to a change
    (wall clock, seconds; the benchmark lines it up with the commit and the browser's clock).
    Lines are short single ``write``s to an ``O_APPEND`` file, so processes do not interleave them."""
    global _trace_fd, _trace_checked
    if not _trace_checked:
        from .config import settings

        path = settings().sync_trace
        _trace_fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600) if path else None
        _trace_checked = True
    if _trace_fd is None:
        return
    record = {"e": event, "f": family_id, "v": version, "t": time.time(), "p": os.getpid(), **fields}
    os.write(_trace_fd, (json.dumps(record, separators=(",", ":")) + "\n").encode())


_watchers: dict[str, Watcher] = {}
_lock = threading.Lock()


def get_watcher(engine: Engine | None = None) -> Watcher:
    """The process's watcher for ``engine`` (default: the process's engine)."""
    if engine is None:
        from .db.engine import get_engine

        engine = get_engine()
    key = engine.url.render_as_string(hide_password=False)
    with _lock:
        watcher = _watchers.get(key)
        if watcher is None:
            watcher = _watchers[key] = Watcher(engine)
        return watcher


def stop_all() -> None:
    with _lock:
        for watcher in _watchers.values():
            watcher.stop()
        _watchers.clear()

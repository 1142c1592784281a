"""The change watcher: notifications, the periodic re-read and reconnecting."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from budget_core.services import transactions as tx
from budget_core.sync import APPLICATION_NAME, Watcher


def _wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@pytest.fixture
def watcher(engine):
    w = Watcher(engine, refresh_s=0.5)
    assert w.wait_connected(10)
    yield w
    w.stop()


def _spend(home, what="Lunch"):
    return tx.add_transaction(home.engine, home.dad.id, home.family.id, tx.TransactionDraft(1500, what, "Dining"))


def test_a_write_reaches_the_watcher_through_notify(home, watcher):
    start = watcher.latest(home.family.id)
    queries_before = watcher.fallback_queries
    _spend(home)
    assert _wait_for(lambda: watcher.latest(home.family.id) == start + 1)
    assert watcher.state().notifications >= 1
    assert watcher.fallback_queries == queries_before  # answered from memory


def test_a_lost_notification_is_caught_up_by_the_periodic_reread(home, watcher, monkeypatch):
    from budget_core.services import _uow

    start = watcher.latest(home.family.id)
    monkeypatch.setattr(_uow, "_notify", lambda *a, **k: None)  # the NOTIFY after commit never happens
    _spend(home)
    assert watcher.latest(home.family.id) == start  # not seen yet ...
    assert _wait_for(lambda: watcher.latest(home.family.id) == start + 1, timeout=3)  # ... but not hidden


def test_watcher_reconnects_after_its_backend_is_killed_and_misses_nothing(home, watcher):
    start = watcher.latest(home.family.id)
    with home.engine.connect() as conn:
        killed = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = :app"), {"app": APPLICATION_NAME}).scalar()
        conn.commit()
    assert killed >= 1
    _spend(home, "while the watcher is down")
    _spend(home, "right after")
    assert _wait_for(lambda: watcher.state().reconnects >= 1)
    assert _wait_for(lambda: watcher.latest(home.family.id) == start + 2)
    assert _wait_for(lambda: watcher.state().connected)


def test_while_disconnected_latest_answers_from_the_database(home, watcher):
    watcher.stop()
    assert not watcher.state().connected
    before = watcher.fallback_queries
    _spend(home)
    with home.engine.connect() as conn:
        current = conn.execute(text("SELECT version FROM families WHERE id = :f"), {"f": home.family.id}).scalar()
    assert watcher.latest(home.family.id) == current
    assert watcher.fallback_queries == before + 1

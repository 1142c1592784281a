"""The change watcher: notifications, the periodic re-read and reconnecting."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from budget_core.services import transactions as tx
from budget_core.services.access import open_family
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
    return tx.add_transaction(
        open_family(home.engine, home.dad.id, home.family.id), tx.TransactionDraft(1500, what, "Dining")
    )


def test_a_write_reaches_the_watcher_through_notify(home, watcher):
    start = watcher.latest(home.family.id)
    queries_before = watcher.fallback_queries
    _spend(home)
    assert _wait_for(lambda: watcher.latest(home.family.id) == start + 1)
    assert watcher.state().notifications >= 1
    assert watcher.fallback_queries == queries_before  # answered from memory


def test_subscribers_hear_each_new_version_the_moment_the_watcher_does(home, watcher):
    heard = []
    watcher.subscribe(lambda family_id, version: heard.append((family_id, version)))
    start = watcher.latest(home.family.id)
    _spend(home)
    _spend(home, "Dinner")
    assert _wait_for(lambda: (home.family.id, start + 2) in heard)
    ours = [v for f, v in heard if f == home.family.id]
    assert ours == sorted(set(ours)) and ours[-1] == start + 2  # only forward, never the same version twice


def test_a_failing_subscriber_does_not_stop_the_watcher(home, watcher):
    def broken(family_id, version):
        raise RuntimeError("subscriber bug")

    watcher.subscribe(broken)
    start = watcher.latest(home.family.id)
    _spend(home)
    assert _wait_for(lambda: watcher.latest(home.family.id) == start + 1)
    _spend(home, "Dinner")
    assert _wait_for(lambda: watcher.latest(home.family.id) == start + 2)
    assert watcher.state().connected


def test_a_lost_notification_is_caught_up_by_the_periodic_reread(home, watcher, monkeypatch):
    from budget_core.services import _uow

    start = watcher.latest(home.family.id)
    monkeypatch.setattr(_uow, "_notify", lambda *a, **k: None)  # the NOTIFY after commit never happens
    _spend(home)
    assert watcher.latest(home.family.id) == start  # not seen yet ...
    assert _wait_for(lambda: watcher.latest(home.family.id) == start + 1, timeout=3)  # ... but not hidden


def test_watcher_reconnects_after_its_backend_is_killed_and_misses_nothing(home, watcher):
    start = watcher.latest(home.family.id)
    with home.owner.connect() as conn:  # only the owner may end another role's backend
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :app"
            ),
            {"app": APPLICATION_NAME},
        ).scalar()
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
    with home.owner.connect() as conn:
        current = conn.execute(text("SELECT version FROM families WHERE id = :f"), {"f": home.family.id}).scalar()
    assert watcher.latest(home.family.id) == current
    assert watcher.fallback_queries == before + 1


@pytest.fixture
def process_watcher(engine):
    """The process's watcher (what ``budget_app.versions`` asks), stopped afterwards."""
    from budget_core import sync

    w = sync.get_watcher(engine)
    assert w.wait_connected(10)
    yield w
    sync.stop_all()


def _count_statements(engine):
    from sqlalchemy import event

    seen = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: seen.append(a[2]))
    return seen


def test_an_idle_poll_answers_from_memory_without_touching_the_database(home, process_watcher):
    from budget_app import versions

    fid = home.family.id
    first = versions.latest_version(home.engine, fid)  # the first look may read it once
    statements = _count_statements(home.engine)
    for _ in range(200):  # 200 polls of an open session with nothing new
        versions.watch(fid)
        assert versions.latest_version(home.engine, fid) == first
    assert statements == []


def test_a_poll_after_a_change_sees_the_new_version_still_without_a_query(home, process_watcher):
    from budget_app import versions

    fid = home.family.id
    start = versions.latest_version(home.engine, fid)
    _spend(home)
    statements = _count_statements(home.engine)
    assert _wait_for(lambda: versions.latest_version(home.engine, fid) == start + 1)
    assert statements == []


def test_two_watchers_on_one_database_both_see_a_write(home, engine):
    # Two app server processes each run a watcher; a write through either reaches both.
    first, second = Watcher(engine, refresh_s=30), Watcher(engine, refresh_s=30)
    try:
        assert first.wait_connected(10) and second.wait_connected(10)
        start = first.latest(home.family.id)
        assert second.latest(home.family.id) == start
        _spend(home)
        assert _wait_for(lambda: first.latest(home.family.id) == start + 1)
        assert _wait_for(lambda: second.latest(home.family.id) == start + 1)
        assert first.fallback_queries == second.fallback_queries == 1  # only each one's first look
    finally:
        first.stop()
        second.stop()


def test_one_reread_covers_every_watched_family_and_forgets_those_nobody_watches(home, engine, monkeypatch):
    from budget_core.services import _uow

    w = Watcher(engine, refresh_s=0.3, watch_ttl_s=1.0)
    try:
        assert w.wait_connected(10)
        w.watch(home.family.id)
        w.watch(home.other.id)
        assert w.state().watched_families == 2
        start = w.latest(home.family.id)
        monkeypatch.setattr(_uow, "_notify", lambda *a, **k: None)  # only the re-read can find it
        _spend(home)
        assert _wait_for(lambda: w.latest(home.family.id) == start + 1, timeout=3)
        assert _wait_for(lambda: w.state().watched_families == 0, timeout=3)  # nobody looked for a while
    finally:
        w.stop()

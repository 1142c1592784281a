"""Health figures from real measurements, and a backup that restores every figure."""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner
from sqlalchemy import text

from budget_core.cli import main
from budget_core.db.engine import make_app_engine, make_engine
from budget_core.errors import ValidationError
from budget_core.ops import health
from budget_core.ops.backup import backup, restore
from budget_core.ops.reliability import METRICS
from budget_core.services import activity, budgets
from budget_core.services import transactions as tx
from budget_core.services.access import open_family


def test_health_reports_measured_service_calls_and_no_degradation(home, tmp_path, monkeypatch):
    monkeypatch.setenv("BUDGET_DATA_DIR", str(tmp_path))
    METRICS.drain()
    for i in range(5):
        tx.add_transaction(
            open_family(home.engine, home.dad.id, home.family.id), tx.TransactionDraft(100 + i, "Tea", "Dining")
        )
    budgets.daily_budget(home.access())
    report = health.check(home.engine)
    assert report.database["reachable"] and report.database["rtt_ms"] > 0
    adds = report.metrics["1h"]["transactions.add"]
    assert adds["count"] == 5 and adds["error_rate"] == 0.0 and adds["p50_ms"] > 0
    assert report.metrics["7d"]["transactions.add"]["count"] == 5
    assert report.degradation == {"real-time sync": "none", "budget calculations": "none", "notifications": "none"}


def test_health_of_an_unreachable_database_says_so_instead_of_failing(tmp_path, monkeypatch):
    monkeypatch.setenv("BUDGET_DATA_DIR", str(tmp_path))
    dead = make_engine("postgresql://nobody@127.0.0.1:9/none?connect_timeout=1", pool_pre_ping=False)
    report = health.check(dead)
    dead.dispose()
    assert report.database["reachable"] is False
    assert report.degradation["budget calculations"] == "significant"
    assert report.degradation["real-time sync"] == "significant"


def test_budget_health_json_is_one_object(home, tmp_path, monkeypatch):
    monkeypatch.setenv("BUDGET_DATA_DIR", str(tmp_path))
    out = CliRunner().invoke(main, ["health", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert set(data) >= {"database", "outbox", "breakers", "degradation", "metrics", "cache"}


def _figures(engine, owner, family_id, reader):
    """What the app shows (through ``engine``, the app's) and every stored transaction (``owner``)."""
    b = budgets.daily_budget(open_family(engine, reader, family_id), date(2026, 11, 20)).budget
    feed = [e.text for e in activity.changes_since(open_family(engine, reader, family_id), 0)]
    with owner.connect() as conn:
        rows = conn.execute(
            text("SELECT id, amount, description, occurred_on, row_version, client_id FROM transactions ORDER BY id")
        ).all()
    return b, feed, rows


def test_backup_restores_into_an_empty_database_with_every_figure_the_same(home, databases, tmp_path):
    for day, cents in [(3, 2599), (10, 12000), (19, 875)]:
        tx.add_transaction(
            open_family(home.engine, home.dad.id, home.family.id),
            tx.TransactionDraft(cents, "Shop", "Groceries", date(2026, 11, day)),
        )
    before = _figures(home.engine, home.owner, home.family.id, home.mom.id)
    dump = tmp_path / "family.dump"
    assert backup(home.owner.url.render_as_string(hide_password=False), dump) > 0

    target_name = databases.create()  # migrated, empty
    target_url = databases.url(target_name)
    try:
        restore(target_url, dump)
        target, target_owner = make_app_engine(target_url), make_engine(target_url)  # the app works on it again
        budgets.clear_cache()
        after = _figures(target, target_owner, home.family.id, home.mom.id)
        target.dispose()
        target_owner.dispose()
    finally:
        databases.drop(target_name)
    assert after == before


def test_restore_refuses_a_database_that_already_holds_families(home, tmp_path):
    url = home.owner.url.render_as_string(hide_password=False)
    dump = tmp_path / "family.dump"
    backup(url, dump)
    import pytest

    with pytest.raises(ValidationError, match="already holds families"):
        restore(url, dump)


def test_a_family_sees_alerts_not_set_up_on_this_server_as_off_not_as_working(home, tmp_path, monkeypatch):
    monkeypatch.setenv("BUDGET_DATA_DIR", str(tmp_path))
    for name in ("BUDGET_SMTP_URL", "BUDGET_PUSH_URL"):
        monkeypatch.delenv(name, raising=False)
    parts = {p.name: p for p in health.family_health(home.access())}
    for label in ("E-mail", "Push notifications"):
        assert parts[label].state == "off" and parts[label].words.startswith("Not set up on this server")

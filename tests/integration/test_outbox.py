"""The offline outbox: durable, delivered exactly once, refusals kept visible, torn lines survived."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text

from budget_core.db.engine import make_engine
from budget_core.ops.outbox import Outbox
from budget_core.services.access import open_family


@pytest.fixture
def box(tmp_path):
    return Outbox(tmp_path / "outbox")


@pytest.fixture
def dead_engine():
    eng = make_engine("postgresql://nobody@127.0.0.1:9/none?connect_timeout=1", pool_pre_ping=False)
    yield eng
    eng.dispose()


def _count(owner, sql="SELECT count(*) FROM transactions"):
    """A count over every family's rows (read with the owner's engine)."""
    with owner.connect() as conn:
        return conn.execute(text(sql)).scalar()


def _draft(description="Lunch", amount=1500, category="Dining"):
    return {"amount": amount, "description": description, "category": category, "occurred_on": None, "refund": False}


def test_an_entry_is_on_disk_before_enqueue_returns(box, home):
    entry = box.enqueue(home.family.id, _draft(), user_id=home.dad.id)
    lines = box.path.read_text().splitlines()
    assert json.loads(lines[-1])["client_id"] == entry.client_id
    assert Outbox(box.directory).pending_count() == 1  # a fresh reader (another process) sees it


def test_while_the_database_is_down_entries_stay_pending(box, home, dead_engine):
    box.enqueue(home.family.id, _draft(), user_id=home.dad.id)
    result = box.flush(dead_engine)
    assert (result.delivered, result.failed, result.pending) == (0, 0, 1)
    assert box.pending_count() == 1


def test_delivery_is_exactly_once_even_when_flushed_twice_after_a_crash(box, home):
    entry = box.enqueue(home.family.id, _draft(), user_id=home.dad.id)
    # a crash after the database stored it but before "delivered" was written: replay the add line
    first = box.flush(home.engine)
    assert first.delivered == 1
    box._append(
        {
            "op": "add",
            "client_id": entry.client_id,
            "family_id": home.family.id,
            "user_id": home.dad.id,
            "draft": _draft(),
            "at": "",
        }
    )
    second = box.flush(home.engine)
    assert second.delivered == 1  # the service recognised the client_id ...
    assert _count(home.owner) == 1  # ... and stored nothing twice
    assert _count(home.owner, "SELECT count(*) FROM events WHERE kind = 'transaction.added'") == 1


def test_a_refused_entry_becomes_failed_with_the_reason_and_can_be_fixed_and_resent(box, home):
    home_archive = home  # the category is archived after the entry was typed offline
    from budget_core.services import categories

    dining = [
        c
        for c in categories.list_categories(open_family(home.engine, home.mom.id, home.family.id))
        if c.name == "Dining"
    ][0]
    entry = box.enqueue(home.family.id, _draft(), user_id=home.dad.id)
    categories.archive_category(open_family(home.engine, home.mom.id, home.family.id), dining.id)
    result = box.flush(home_archive.engine)
    assert result.failed == 1
    failed = box.state().with_status("failed")
    assert failed[0].client_id == entry.client_id and "archived" in failed[0].reason
    box.resend(failed[0], _draft(category="Groceries"))
    assert box.flush(home.engine).delivered == 1
    assert (
        _count(
            home.owner,
            "SELECT count(*) FROM transactions t JOIN categories c ON c.family_id = t.family_id "
            "AND c.id = t.category_id WHERE c.name = 'Groceries'",
        )
        == 1
    )


def test_a_discarded_entry_is_never_delivered(box, home):
    entry = box.enqueue(home.family.id, _draft(), user_id=home.dad.id)
    box.discard(entry.client_id)
    assert box.flush(home.engine).delivered == 0
    assert _count(home.owner) == 0


def test_a_torn_last_line_is_reported_and_the_rest_is_delivered(box, home):
    box.enqueue(home.family.id, _draft("Coffee"), user_id=home.dad.id)
    box.enqueue(home.family.id, _draft("Bread"), user_id=home.dad.id)
    with open(box.path, "a") as fh:
        fh.write('{"op": "add", "client_id": "' + str(uuid.uuid4()) + '", "family_id": 1, "dra')  # torn write
    state = box.state()
    assert state.damaged_lines == (3,)
    result = box.flush(home.engine)
    assert result.delivered == 2 and any("damaged" in e for e in result.errors)
    # a later entry is not glued onto the torn line
    box.enqueue(home.family.id, _draft("Milk"), user_id=home.dad.id)
    assert box.flush(home.engine).delivered == 1
    assert _count(home.owner) == 3


def test_cli_add_with_the_database_unreachable_prints_pending_and_flush_delivers(home, tmp_path, monkeypatch, db_url):
    from click.testing import CliRunner

    from budget_core import config
    from budget_core.cli import main
    from budget_core.db import engine as engine_mod

    monkeypatch.setenv("BUDGET_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BUDGET_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1")
    config.reset_settings()
    engine_mod.set_engine(None)
    runner = CliRunner()
    out = runner.invoke(
        main,
        [
            "add",
            "--family",
            str(home.family.id),
            "--amount",
            "12.50",
            "--description",
            "Taxi",
            "--category",
            "Transport",
            "--by",
            "dad@example.com",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    pending = json.loads(out.stdout)
    assert pending["status"] == "pending" and uuid.UUID(pending["client_id"])
    listed = json.loads(runner.invoke(main, ["outbox", "list", "--json"]).stdout)
    assert [e["client_id"] for e in listed["entries"]] == [pending["client_id"]]
    monkeypatch.setenv("BUDGET_DATABASE_URL", db_url)
    config.reset_settings()
    engine_mod.set_engine(home.engine, home.owner)
    flushed = json.loads(runner.invoke(main, ["outbox", "flush", "--json"]).stdout)
    assert flushed == {"delivered": 1, "failed": 0, "pending": 0}
    with home.owner.connect() as conn:
        row = conn.execute(text("SELECT amount, client_id::text FROM transactions")).one()
    assert row == (1250, pending["client_id"])

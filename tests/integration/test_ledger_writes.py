"""The write path on real Postgres: gap-free versions, one event per change, idempotent adds,
optimistic edits and deletes, and the family_changes notification."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from budget_core.errors import Conflict, ValidationError
from budget_core.services import _uow, activity
from budget_core.services.access import open_family
from budget_core.services.transactions import (
    TransactionChanges,
    TransactionDraft,
    add_transaction,
    delete_transaction,
    edit_transaction,
    get_transaction,
)

from .conftest import fingerprint

APRIL_5 = date(2026, 4, 5)


def family_version(owner, family_id: int) -> int:
    """The family's version as stored (read with the owner's engine)."""
    with owner.connect() as conn:
        return conn.execute(text("SELECT version FROM families WHERE id = :f"), {"f": family_id}).scalar_one()


def event_versions(owner, family_id: int) -> list[int]:
    """The versions of the family's stored events, oldest first (read with the owner's engine)."""
    with owner.connect() as conn:
        return list(
            conn.execute(
                text("SELECT version FROM events WHERE family_id = :f ORDER BY version"), {"f": family_id}
            ).scalars()
        )


def lunch(amount: int = 1500, **kw) -> TransactionDraft:
    kw.setdefault("occurred_on", APRIL_5)
    return TransactionDraft(amount, kw.pop("description", "Lunch"), kw.pop("category", "Dining"), **kw)


def test_eight_writers_adding_200_expenses_each_leave_1600_rows_and_versions_without_a_gap(home):
    engine, family = home.engine, home.family.id
    start = family_version(home.owner, family)
    barrier = threading.Barrier(8)

    def writer(n: int) -> list[int]:
        actor = home.mom.id if n % 2 else home.dad.id
        barrier.wait()
        return [
            add_transaction(
                open_family(engine, actor, family),
                lunch(100 + i, description=f"writer {n} item {i}", category="Groceries"),
            ).id
            for i in range(200)
        ]

    with ThreadPoolExecutor(8) as pool:
        ids = [i for batch in pool.map(writer, range(8)) for i in batch]

    versions = event_versions(home.owner, family)
    with home.owner.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM transactions WHERE family_id = :f"), {"f": family}).scalar()
        added = set(
            conn.execute(
                text("SELECT (payload->>'id')::bigint FROM events WHERE family_id = :f AND kind = 'transaction.added'"),
                {"f": family},
            ).scalars()
        )
    assert rows == len(set(ids)) == 1600
    assert versions == list(range(1, start + 1601))
    assert family_version(home.owner, family) == max(versions) == start + 1600
    assert added == set(ids)  # one event per row, naming it


def test_every_change_bumps_the_family_version_by_one_and_appends_one_event(home):
    engine, family = home.engine, home.family.id
    v0 = family_version(home.owner, family)
    tx = add_transaction(open_family(engine, home.dad.id, family), lunch())
    edited = edit_transaction(
        open_family(engine, home.mom.id, family),
        tx.id,
        tx.row_version,
        TransactionChanges(1800, "Lunch with Eve", "Dining", APRIL_5),
    )
    delete_transaction(open_family(engine, home.dad.id, family), tx.id, edited.row_version)

    events = activity.changes_since(open_family(engine, home.mom.id, family), v0)
    assert [(e.version, e.kind, e.actor) for e in events] == [
        (v0 + 1, "transaction.added", "Dad"),
        (v0 + 2, "transaction.edited", "Mom"),
        (v0 + 3, "transaction.deleted", "Dad"),
    ]
    assert family_version(home.owner, family) == v0 + 3
    assert events[0].text == "Dad spent $15.00 on Lunch"
    assert events[1].text == "Mom changed Lunch with Eve: $15.00 → $18.00, 'Lunch' → 'Lunch with Eve'"
    assert events[2].text == "Dad deleted Lunch with Eve ($18.00)"


def test_changes_since_returns_only_the_events_after_the_cursor_oldest_first(home):
    engine, family = home.engine, home.family.id
    cursor = family_version(home.owner, family)
    for amount in (100, 200, 300):
        add_transaction(open_family(engine, home.dad.id, family), lunch(amount))
    events = activity.changes_since(open_family(engine, home.dad.id, family), cursor)
    assert [e.version for e in events] == [cursor + 1, cursor + 2, cursor + 3]
    assert [e.payload["amount"] for e in events] == [100, 200, 300]
    assert activity.changes_since(open_family(engine, home.dad.id, family), cursor + 3) == []


def test_replaying_a_client_id_stores_nothing_new_and_returns_the_stored_row(home):
    engine, family = home.engine, home.family.id
    draft = lunch(client_id=uuid.uuid4())
    first = add_transaction(open_family(engine, home.dad.id, family), draft)
    before, version = fingerprint(home.owner), family_version(home.owner, family)

    again = add_transaction(open_family(engine, home.dad.id, family), draft)

    assert again == first
    assert family_version(home.owner, family) == version
    assert fingerprint(home.owner) == before


def test_eight_simultaneous_deliveries_of_one_client_id_store_one_row(home):
    engine, family = home.engine, home.family.id
    draft = lunch(client_id=uuid.uuid4())
    version = family_version(home.owner, family)
    barrier = threading.Barrier(8)

    def deliver(_):
        barrier.wait()
        return add_transaction(open_family(engine, home.dad.id, family), draft).id

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(deliver, range(8)))
    with home.owner.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM transactions WHERE client_id = :c"), {"c": draft.client_id}
        ).scalar()
    assert len(ids) == 1 and stored == 1
    assert family_version(home.owner, family) == version + 1


def test_replaying_an_undated_entry_after_midnight_returns_the_row_stored_the_day_before(home):
    # The offline outbox retries until it hears back; an answer lost at 23:59 is retried after midnight.
    engine, family = home.engine, home.family.id
    evening = datetime(2026, 4, 5, 23, 59, tzinfo=timezone(timedelta(hours=-4)))  # New York, EDT
    draft = TransactionDraft(1500, "Late snack", "Dining", client_id=uuid.uuid4())
    first = add_transaction(open_family(engine, home.dad.id, family), draft, now=evening)
    before = fingerprint(home.owner)

    again = add_transaction(open_family(engine, home.dad.id, family), draft, now=evening + timedelta(minutes=2))

    assert first.occurred_on == APRIL_5
    assert again == first
    assert fingerprint(home.owner) == before


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 1501},
        {"description": "Dinner"},
        {"category": "Groceries"},
        {"occurred_on": APRIL_5 - timedelta(days=1)},
        {"refund": True},
    ],
)
def test_the_same_client_id_with_different_content_is_refused_and_stores_nothing(home, change):
    engine, family = home.engine, home.family.id
    cid = uuid.uuid4()
    add_transaction(open_family(engine, home.dad.id, family), lunch(client_id=cid))
    before = fingerprint(home.owner)
    with pytest.raises(ValidationError, match="already saved with different details"):
        add_transaction(open_family(engine, home.dad.id, family), lunch(client_id=cid, **change))
    assert fingerprint(home.owner) == before


def test_another_member_replaying_someone_elses_client_id_is_refused(home):
    engine, family = home.engine, home.family.id
    draft = lunch(client_id=uuid.uuid4())
    add_transaction(open_family(engine, home.dad.id, family), draft)
    before = fingerprint(home.owner)
    with pytest.raises(ValidationError, match="already saved with different details"):
        add_transaction(open_family(engine, home.mom.id, family), draft)
    assert fingerprint(home.owner) == before


def test_a_stale_edit_raises_a_conflict_carrying_both_versions_and_changes_nothing(home):
    engine, family = home.engine, home.family.id
    tx = add_transaction(open_family(engine, home.dad.id, family), lunch())
    moms = edit_transaction(
        open_family(engine, home.mom.id, family),
        tx.id,
        tx.row_version,
        TransactionChanges(2500, "Lunch for two", "Dining", APRIL_5),
    )
    before = fingerprint(home.owner)

    with pytest.raises(Conflict) as conflict:
        edit_transaction(
            open_family(engine, home.dad.id, family),
            tx.id,
            tx.row_version,
            TransactionChanges(1200, "Lunch", "Dining", APRIL_5),
        )

    assert (conflict.value.expected_version, conflict.value.current_version) == (1, 2)
    assert conflict.value.current == moms
    assert "Mom changed this transaction" in str(conflict.value)
    assert conflict.value.by == "Mom"
    assert "version" not in str(conflict.value)  # people see who changed it, not version numbers
    assert fingerprint(home.owner) == before
    assert get_transaction(open_family(engine, home.dad.id, family), tx.id).amount == 2500


def test_a_stale_delete_raises_a_conflict_carrying_both_versions_and_keeps_the_row(home):
    engine, family = home.engine, home.family.id
    tx = add_transaction(open_family(engine, home.dad.id, family), lunch())
    edited = edit_transaction(
        open_family(engine, home.mom.id, family),
        tx.id,
        tx.row_version,
        TransactionChanges(2500, "Lunch for two", "Dining", APRIL_5),
    )
    before = fingerprint(home.owner)

    with pytest.raises(Conflict) as conflict:
        delete_transaction(open_family(engine, home.dad.id, family), tx.id, tx.row_version)

    assert (conflict.value.expected_version, conflict.value.current_version) == (1, 2)
    assert fingerprint(home.owner) == before
    assert get_transaction(open_family(engine, home.dad.id, family), tx.id) == edited


def test_two_edits_from_the_same_version_at_once_one_wins_and_the_other_conflicts(home):
    engine, family = home.engine, home.family.id
    tx = add_transaction(open_family(engine, home.dad.id, family), lunch())
    barrier = threading.Barrier(2)

    def edit(who_amount):
        who, amount = who_amount
        barrier.wait()
        try:
            return edit_transaction(
                open_family(engine, who, family),
                tx.id,
                tx.row_version,
                TransactionChanges(amount, "Lunch", "Dining", APRIL_5),
            )
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(edit, [(home.mom.id, 1111), (home.dad.id, 2222)]))
    winners = [o for o in outcomes if not isinstance(o, Conflict)]
    losers = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(winners) == 1 and len(losers) == 1
    assert (losers[0].expected_version, losers[0].current_version) == (1, 2)
    assert get_transaction(open_family(engine, home.dad.id, family), tx.id).amount == winners[0].amount


def test_an_edit_at_the_current_version_bumps_the_row_version_and_records_before_and_after(home):
    engine, family = home.engine, home.family.id
    tx = add_transaction(open_family(engine, home.dad.id, family), lunch())
    edited = edit_transaction(
        open_family(engine, home.dad.id, family), tx.id, 1, TransactionChanges(1500, "Lunch", "Groceries", APRIL_5)
    )
    last = activity.recent_activity(open_family(engine, home.dad.id, family), limit=1)[0]
    assert (edited.row_version, edited.category, edited.kind) == (2, "Groceries", "variable")
    assert last.payload["before"]["category"] == "Dining"
    assert last.payload["row_version"] == 2


def test_editing_or_deleting_a_transaction_someone_deleted_says_it_was_deleted(home):
    engine, family = home.engine, home.family.id
    tx = add_transaction(open_family(engine, home.dad.id, family), lunch())
    delete_transaction(open_family(engine, home.mom.id, family), tx.id, tx.row_version)
    before = fingerprint(home.owner)
    with pytest.raises(Conflict, match="Mom deleted this transaction while you were looking at it") as edit:
        edit_transaction(
            open_family(engine, home.dad.id, family),
            tx.id,
            tx.row_version,
            TransactionChanges(1500, "Lunch", "Dining", APRIL_5),
        )
    with pytest.raises(Conflict, match="Mom deleted this transaction while you were looking at it") as delete:
        delete_transaction(open_family(engine, home.dad.id, family), tx.id, tx.row_version)
    for refused in (edit.value, delete.value):
        assert (refused.expected_version, refused.current_version) == (tx.row_version, None)
    assert fingerprint(home.owner) == before


def test_a_refund_is_stored_negative_and_the_feed_says_refund(home):
    engine, family = home.engine, home.family.id
    refund = add_transaction(
        open_family(engine, home.dad.id, family), lunch(800, description="Returned shoes", category="Fun", refund=True)
    )
    assert (refund.amount, refund.is_refund) == (-800, True)
    assert (
        activity.recent_activity(open_family(engine, home.dad.id, family), limit=1)[0].text
        == "Dad got a refund of $8.00 for Returned shoes"
    )


def _listen_conninfo(db_url: str) -> str:
    return make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.mark.parametrize("inside_transaction", [False, True], ids=["after-commit", "inside-transaction"])
def test_each_committed_change_notifies_family_and_version_and_a_refused_one_does_not(
    home, db_url, monkeypatch, inside_transaction
):
    monkeypatch.setattr(_uow, "NOTIFY_INSIDE_TRANSACTION", inside_transaction)
    engine, family = home.engine, home.family.id
    with psycopg.connect(_listen_conninfo(db_url), autocommit=True) as listener:
        listener.execute("LISTEN family_changes")
        tx = add_transaction(open_family(engine, home.dad.id, family), lunch())
        heard = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
        assert heard == [f"{family}:{family_version(home.owner, family)}"]

        with pytest.raises(Conflict):
            delete_transaction(open_family(engine, home.dad.id, family), tx.id, tx.row_version + 1)
        assert [n.payload for n in listener.notifies(timeout=0.3)] == []

"""The sidebar quick-entry form, on Today and on another page."""

from __future__ import annotations

import pytest

from budget_core.services import budgets, transactions
from budget_core.services.access import open_family

from .conftest import by_label, no_exception, open_page


def _fill(at, amount: str, description: str = "", refund: bool = False):
    """Type into the sidebar form and press Save: the save reruns only the form and the page's
    figures (what the returned AppTest shows); ``.run()`` again is the full run that follows."""
    by_label(at.sidebar.text_input, "Amount").input(amount)
    if description:
        by_label(at.sidebar.text_input, "Description").input(description)
    if refund:
        by_label(at.sidebar.checkbox, "Money back (refund)").check()
    return by_label(at.sidebar.button, "Save").click().run()


def _spent_today(home) -> int:
    budgets.clear_cache()
    return budgets.daily_budget(home.access()).budget.spent_today


@pytest.mark.parametrize("typed, minor", [("15", 1500), ("15.5", 1550), ("15,50", 1550)])
def test_an_expense_typed_in_the_sidebar_is_saved_and_today_updates(home, typed, minor):
    at = open_page("today.py", user_id=home.dad.id, family_id=home.family.id)
    before = _spent_today(home)
    entry = at.session_state["qe_client_id"]
    at = _fill(at, typed, "Lunch")
    no_exception(at)
    assert _spent_today(home) == before + minor
    saved = transactions.list_transactions(open_family(home.engine, home.dad.id, home.family.id))
    assert [(t.description, t.amount) for t in saved] == [("Lunch", minor)]
    shown = next(m.value for m in at.markdown if 'data-testid="fb-spent-today"' in m.value)
    assert f"{minor / 100:.2f}" in shown  # the figures redrawn by the save itself
    assert any("Lunch" in t.value for t in at.toast)
    at = at.run()  # the full run that follows (the family's change wakes the session)
    no_exception(at)
    # The browser empties the form on submit (clear_on_submit; the e2e tests see it); the next
    # entry is a new one.
    assert at.session_state["qe_client_id"] != entry


def test_a_refused_amount_shows_the_reason_and_keeps_what_was_typed(home):
    at = open_page("today.py", user_id=home.dad.id, family_id=home.family.id)
    at = _fill(at, "12.345", "Coffee")
    no_exception(at)
    assert any("at most 2 decimals" in e.value for e in at.sidebar.error)
    assert by_label(at.sidebar.text_input, "Amount").value == "12.345"
    assert by_label(at.sidebar.text_input, "Description").value == "Coffee"
    assert transactions.list_transactions(open_family(home.engine, home.dad.id, home.family.id)) == []


def test_a_resubmitted_form_is_saved_once(home):
    at = open_page("today.py", user_id=home.dad.id, family_id=home.family.id)
    client_id = at.session_state["qe_client_id"]
    draft = transactions.TransactionDraft(2000, "Taxi", "Transport", client_id=__import__("uuid").UUID(client_id))
    transactions.add_transaction(open_family(home.engine, home.dad.id, home.family.id), draft)  # the first click landed
    by_label(at.sidebar.selectbox, "Category").set_value(
        next(
            c.id
            for c in __import__("budget_core.services.categories", fromlist=["x"]).list_categories(
                open_family(home.engine, home.dad.id, home.family.id)
            )
            if c.name == "Transport"
        )
    )
    at = _fill(at, "20", "Taxi")  # the second click replays the same client_id
    no_exception(at)
    assert len(transactions.list_transactions(open_family(home.engine, home.dad.id, home.family.id))) == 1


def test_the_category_is_preselected_to_the_members_last_one(home):
    transactions.add_transaction(
        open_family(home.engine, home.dad.id, home.family.id), transactions.TransactionDraft(900, "Bus", "Transport")
    )
    at = open_page("pages/1_Transactions.py", user_id=home.dad.id, family_id=home.family.id)
    no_exception(at)
    category = by_label(at.sidebar.selectbox, "Category")
    assert category.format_func(category.value) == "Transport"


def test_a_refund_lowers_spending(home):
    transactions.add_transaction(
        open_family(home.engine, home.dad.id, home.family.id), transactions.TransactionDraft(5000, "Shoes", "Fun")
    )
    at = open_page("today.py", user_id=home.dad.id, family_id=home.family.id)
    at = _fill(at, "20", "Shoes back", refund=True)
    no_exception(at)
    amounts = sorted(
        t.amount for t in transactions.list_transactions(open_family(home.engine, home.dad.id, home.family.id))
    )
    assert amounts == [-2000, 5000]


def test_an_entry_made_while_the_database_refuses_connections_is_kept_and_delivered_once(
    home, owner_engine, databases, tmp_path, monkeypatch
):
    from sqlalchemy import text

    from budget_core import config
    from budget_core.ops.outbox import Outbox

    monkeypatch.setenv("BUDGET_DATA_DIR", str(tmp_path))
    config.reset_settings()
    at = open_page("today.py", user_id=home.dad.id, family_id=home.family.id)
    database = home.engine.url.database
    databases.allow_connections(database, False)  # the database goes away (a real refusal)
    try:
        at = _fill(at, "15", "Lunch")
        no_exception(at)
        assert "Waiting to be saved" in "\n".join(m.value for m in at.sidebar.markdown)
        assert any("Saved on this device" in t.value for t in at.toast)
        assert [e.description for e in Outbox().state().with_status("pending")] == ["Lunch"]
    finally:
        databases.allow_connections(database, True)
    result = Outbox().flush(home.engine)  # what the background deliverer does once it is back
    assert (result.delivered, result.pending) == (1, 0)
    assert Outbox().flush(home.engine).delivered == 0
    with owner_engine.connect() as conn:
        rows = conn.execute(text("SELECT description, amount FROM transactions")).all()
    assert rows == [("Lunch", 1500)]

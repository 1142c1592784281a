"""Transactions page: filters, edit, delete, and conflicts that overwrite nothing silently."""

from __future__ import annotations

from budget_core.services import activity, transactions
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionChanges, TransactionDraft

from .conftest import by_label, markdown_text, no_exception, open_page


def _add(home, who, amount, description, category="Groceries"):
    return transactions.add_transaction(
        open_family(home.engine, who.id, home.family.id), TransactionDraft(amount, description, category)
    )


def _table(at) -> str:
    return next(m.value for m in at.markdown if 'data-testid="fb-transactions"' in m.value)


def test_the_table_lists_entries_with_money_right_aligned_and_the_search_filters_them(home):
    _add(home, home.mom, 4599, "Weekly shop")
    _add(home, home.dad, 1250, "Pizza", "Dining")
    at = open_page("pages/1_Transactions.py", user_id=home.mom.id, family_id=home.family.id)
    no_exception(at)
    table = _table(at)
    assert "Weekly shop" in table and "Pizza" in table
    assert '<td class="num"><span class="fb-money">&#36;45.99</span></td>' in table
    at.text_input(key="tx_search").input("pizza").run()
    table = _table(at)
    assert "Pizza" in table and "Weekly shop" not in table


def test_the_member_filter_shows_only_that_members_entries(home):
    _add(home, home.mom, 4599, "Weekly shop")
    _add(home, home.dad, 1250, "Pizza", "Dining")
    at = open_page("pages/1_Transactions.py", user_id=home.mom.id, family_id=home.family.id)
    at.selectbox(key="tx_member").set_value(home.dad.id).run()
    table = _table(at)
    assert "Pizza" in table and "Weekly shop" not in table


def _open_editor(at, tx_id):
    picker = next(s for s in at.selectbox if s.label == "Edit or delete")
    return picker.set_value(tx_id).run()


def test_editing_a_transaction_saves_the_new_amount(home):
    tx = _add(home, home.dad, 1250, "Pizza", "Dining")
    at = open_page("pages/1_Transactions.py", user_id=home.dad.id, family_id=home.family.id)
    at = _open_editor(at, tx.id)
    by_label(at.main.text_input, "Amount").input("13,75")
    at = by_label(at.main.button, "Save changes").click().run()
    no_exception(at)
    stored = transactions.get_transaction(open_family(home.engine, home.dad.id, home.family.id), tx.id)
    assert (stored.amount, stored.row_version) == (1375, tx.row_version + 1)
    assert "&#36;13.75" in _table(at)


def test_deleting_a_transaction_removes_it(home):
    tx = _add(home, home.dad, 1250, "Pizza", "Dining")
    at = open_page("pages/1_Transactions.py", user_id=home.dad.id, family_id=home.family.id)
    at = _open_editor(at, tx.id)
    at = by_label(at.main.button, "Delete this transaction").click().run()
    no_exception(at)
    assert transactions.list_transactions(open_family(home.engine, home.dad.id, home.family.id)) == []


def _conflict(home):
    """Dad opens Pizza; meanwhile Mom changes it to $20; Dad then saves $13.00."""
    tx = _add(home, home.dad, 1250, "Pizza", "Dining")
    at = open_page("pages/1_Transactions.py", user_id=home.dad.id, family_id=home.family.id)
    at = _open_editor(at, tx.id)
    transactions.edit_transaction(
        open_family(home.engine, home.mom.id, home.family.id),
        tx.id,
        tx.row_version,
        TransactionChanges(2000, "Pizza night", "Dining", tx.occurred_on),
    )
    by_label(at.main.text_input, "Amount").input("13")
    at = by_label(at.main.button, "Save changes").click().run()
    no_exception(at)
    return tx, at


def test_a_conflicting_edit_shows_both_versions_and_overwrites_nothing(home):
    tx, at = _conflict(home)
    assert any("Mom changed this transaction" in w.value for w in at.warning)
    text = markdown_text(at)
    assert "&#36;13.00" in text and "&#36;20.00" in text and "Pizza night" in text
    stored = transactions.get_transaction(open_family(home.engine, home.dad.id, home.family.id), tx.id)
    assert stored.amount == 2000


def test_keep_mine_resubmits_against_the_new_version(home):
    tx, at = _conflict(home)
    at = by_label(at.main.button, "Keep mine").click().run()
    no_exception(at)
    stored = transactions.get_transaction(open_family(home.engine, home.dad.id, home.family.id), tx.id)
    # Dad's amount replaces Mom's; the description only Mom changed stays hers.
    assert (stored.amount, stored.description, stored.row_version) == (1300, "Pizza night", tx.row_version + 2)


def test_take_theirs_keeps_the_stored_version(home):
    tx, at = _conflict(home)
    at = by_label(at.main.button, "Take Mom's").click().run()
    no_exception(at)
    stored = transactions.get_transaction(open_family(home.engine, home.dad.id, home.family.id), tx.id)
    assert (stored.amount, stored.description) == (2000, "Pizza night")
    assert not at.warning


def test_deleting_a_row_someone_changed_first_asks_before_deleting(home):
    tx = _add(home, home.dad, 1250, "Pizza", "Dining")
    at = open_page("pages/1_Transactions.py", user_id=home.dad.id, family_id=home.family.id)
    at = _open_editor(at, tx.id)
    transactions.edit_transaction(
        open_family(home.engine, home.mom.id, home.family.id),
        tx.id,
        tx.row_version,
        TransactionChanges(2000, "Pizza night", "Dining", tx.occurred_on),
    )
    at = by_label(at.main.button, "Delete this transaction").click().run()
    assert any("Mom changed" in w.value for w in at.warning)
    assert len(transactions.list_transactions(open_family(home.engine, home.dad.id, home.family.id))) == 1
    at = by_label(at.main.button, "Delete it anyway").click().run()
    no_exception(at)
    assert transactions.list_transactions(open_family(home.engine, home.dad.id, home.family.id)) == []


def test_changes_to_different_fields_can_be_kept_both_as_one_change_naming_the_other_member(home):
    tx = _add(home, home.dad, 1250, "Pizza", "Dining")
    at = open_page("pages/1_Transactions.py", user_id=home.dad.id, family_id=home.family.id)
    at = _open_editor(at, tx.id)
    mom = open_family(home.engine, home.mom.id, home.family.id)
    transactions.edit_transaction(
        mom, tx.id, tx.row_version, TransactionChanges(1250, "Pizza night", "Dining", tx.occurred_on)
    )
    by_label(at.main.text_input, "Amount").input("13")
    at = by_label(at.main.button, "Save changes").click().run()
    assert any("Mom changed" in w.value for w in at.warning)
    assert not any("version" in w.value.lower() for w in at.warning)
    before = len(activity.recent_activity(mom))
    at = by_label(at.main.button, "Keep both changes").click().run()
    no_exception(at)
    stored = transactions.get_transaction(mom, tx.id)
    assert (stored.amount, stored.description) == (1300, "Pizza night")
    events = activity.recent_activity(mom)
    assert len(events) == before + 1 and events[0].kind == "transaction.edited"

"""One door into a family: the handle is the only way in, and the database checks it on reads too.

Every family-scoped use case takes a ``FamilyAccess`` made by ``open_family``, which checks the
membership; the database's ``family_enter`` checks it again on each read and write, so a handle
kept past a removal or demotion gets nothing. The SQL functions are called as the app's role
(``budget_app``, under row-level security): a call for another family inside a transaction scoped
to one family fails, and a person who is not a member gets nothing.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from budget_core.db.door import door_errors, enter
from budget_core.errors import PermissionDenied
from budget_core.services import activity, budgets, categories, families, members
from budget_core.services.access import FamilyAccess, open_family
from budget_core.services.transactions import TransactionDraft, add_transaction, list_transactions

from .conftest import fingerprint

APRIL_5 = date(2026, 4, 5)


def test_a_handle_cannot_be_made_without_the_door(home):
    opened = open_family(home.engine, home.dad.id, home.family.id)
    with pytest.raises(TypeError, match="open_family"):
        FamilyAccess(home.engine, home.eve.id, "manager", "Eve", opened.family)


def test_the_door_says_the_same_to_an_outsider_whatever_the_family_id(home):
    with pytest.raises(PermissionDenied) as real:
        open_family(home.engine, home.eve.id, home.family.id)
    with pytest.raises(PermissionDenied) as made_up:
        open_family(home.engine, home.eve.id, 987654321)
    with pytest.raises(PermissionDenied):
        open_family(home.engine, home.eve.id, 2**70)  # beyond bigint: no such row, no database error
    assert str(real.value).replace(str(home.family.id), "N") == str(made_up.value).replace("987654321", "N")


def test_the_handle_carries_the_role_name_and_plan_read_in_one_statement(home):
    dad = open_family(home.engine, home.dad.id, home.family.id)
    assert (dad.role, dad.member_name, dad.family.name, dad.currency) == ("member", "Dad", "Smiths", "USD")
    assert not dad.is_manager and home.access().is_manager


def test_a_removed_members_kept_handle_reads_and_writes_nothing(home):
    dads = open_family(home.engine, home.dad.id, home.family.id)
    add_transaction(dads, TransactionDraft(500, "Gum", "Dining", APRIL_5))
    members.remove_member(home.access(), home.dad.id)
    before = fingerprint(home.owner)
    budgets.clear_cache()
    for read in (
        lambda: list_transactions(dads),
        lambda: categories.list_categories(dads),
        lambda: activity.recent_activity(dads),
        lambda: budgets.daily_budget(dads, APRIL_5),
        lambda: families.list_fixed_expenses(dads),
    ):
        with pytest.raises(PermissionDenied, match="not a member"):
            read()
    with pytest.raises(PermissionDenied, match="not a member"):
        add_transaction(dads, TransactionDraft(700, "Sneaky", "Dining", APRIL_5))
    assert fingerprint(home.owner) == before


def test_a_demoted_managers_kept_handle_cannot_do_a_managers_action(home):
    members.change_role(home.access(), home.dad.id, "manager")
    dad_as_manager = open_family(home.engine, home.dad.id, home.family.id)
    members.change_role(home.access(), home.dad.id, "member")
    before = fingerprint(home.owner)
    with pytest.raises(PermissionDenied, match="Only a manager"):
        families.update_plan(dad_as_manager, monthly_income=1)
    with pytest.raises(PermissionDenied, match="Only a manager"):
        members.remove_member(dad_as_manager, home.mom.id)
    assert fingerprint(home.owner) == before


# --- the database side, as the app's role ----------------------------------------------------------


def _call(home, sql: str, **params):
    with home.engine.connect() as conn, door_errors():
        return conn.execute(text(sql), params).all()


def test_budget_inputs_gives_an_outsider_nothing(home):
    with pytest.raises(PermissionDenied, match="not a member"):
        _call(home, "SELECT * FROM budget_inputs(:f, :u, :on)", f=home.family.id, u=home.eve.id, on=APRIL_5)
    assert (
        len(_call(home, "SELECT * FROM budget_inputs(:f, :u, :on)", f=home.family.id, u=home.dad.id, on=APRIL_5)) >= 1
    )


def test_inside_a_transaction_scoped_to_one_family_no_function_reads_or_writes_another(home):
    # Mom is a manager of both families; the transaction is scoped to the Smiths.
    second = families.create_family(
        home.engine,
        home.mom.id,
        name="Cabin",
        currency="USD",
        timezone="America/New_York",
        monthly_income=100000,
        savings_goal=0,
        period_start_day=1,
    )
    calls = {
        "budget_inputs": ("SELECT * FROM budget_inputs(:f, :u, NULL)", {}),
        "family_enter": ("SELECT * FROM family_enter(:f, :u, NULL, false)", {}),
        "ledger_add": (
            "SELECT * FROM ledger_add(:f, :u, 1, 100, false, 'x', DATE '2026-04-05', gen_random_uuid(), true, false)",
            {},
        ),
    }
    before = fingerprint(home.owner)
    for sql, extra in calls.values():
        with home.engine.connect() as conn:
            enter(conn, home.family.id, home.mom.id)
            with pytest.raises(PermissionDenied, match="another family"):
                with door_errors():
                    conn.execute(text(sql), {"f": second.id, "u": home.mom.id, **extra})
    assert fingerprint(home.owner) == before


def test_a_scope_set_by_hand_is_no_way_past_the_door(home):
    # Setting app.family_id directly (what a forgotten check would do) and then asking a function for
    # another family: the function refuses rather than re-scoping itself.
    with home.engine.connect() as conn:
        conn.execute(text("SELECT set_config('app.family_id', :f, true)"), {"f": str(home.other.id)})
        with pytest.raises(DBAPIError, match="another family"):
            conn.execute(text("SELECT * FROM budget_inputs(:f, :u, NULL)"), {"f": home.family.id, "u": home.mom.id})

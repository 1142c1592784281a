"""The database as the second wall between families: row-level security on the app's role.

Services scope every transaction themselves (``budget_core.db.scope``). These tests show what the
database does when a query forgets its ``WHERE family_id``: it still reads and writes only the
family its transaction is scoped to, and nothing at all without a scope. What was stored is read
with the owner's engine, so every "only" and "nothing" here could fail.
"""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from budget_core.db.roles import APP_ROLE
from budget_core.db.scope import scope, scoped
from budget_core.ops import notifications
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionDraft, add_transaction

from .conftest import fingerprint

APRIL_5 = date(2026, 4, 5)
FAMILY_TABLES = ("families", "members", "categories", "fixed_expenses", "transactions", "events", "invitations")


@pytest.fixture
def spent(home):
    """The household with spending on both sides: two lunches for the Smiths, one for the Others."""
    add_transaction(
        open_family(home.engine, home.mom.id, home.family.id), TransactionDraft(1500, "Lunch", "Dining", APRIL_5)
    )
    add_transaction(
        open_family(home.engine, home.dad.id, home.family.id), TransactionDraft(900, "Bagel", "Dining", APRIL_5)
    )
    add_transaction(
        open_family(home.engine, home.eve.id, home.other.id), TransactionDraft(2000, "Dinner", "Dining", APRIL_5)
    )
    return home


def stored_ids(owner, family_id: int) -> set[int]:
    """The ids of the family's transactions as stored (the owner's engine sees every family)."""
    with owner.connect() as conn:
        return set(conn.execute(text("SELECT id FROM transactions WHERE family_id = :f"), {"f": family_id}).scalars())


def test_a_query_that_forgets_where_family_id_sees_only_the_scoped_familys_rows(spent):
    home = spent
    for family_id, user_id in ((home.family.id, home.mom.id), (home.other.id, home.eve.id)):
        with scoped(home.engine, family_id, user_id) as conn:
            rows = conn.execute(text("SELECT * FROM transactions")).mappings().all()
        assert {r["family_id"] for r in rows} == {family_id}
        assert {r["id"] for r in rows} == stored_ids(home.owner, family_id)
    assert len(stored_ids(home.owner, home.family.id)) == 2 and len(stored_ids(home.owner, home.other.id)) == 1


def test_without_a_scope_the_app_sees_no_family_rows_at_all(spent):
    home = spent
    count = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in FAMILY_TABLES)
    with home.owner.connect() as conn:
        stored = dict(conn.execute(text(count)).all())
    with home.engine.connect() as conn:
        seen = dict(conn.execute(text(count)).all())
    assert all(stored[t] > 0 for t in FAMILY_TABLES)  # there is something to hide
    assert seen == {t: 0 for t in FAMILY_TABLES}


def test_a_scope_ends_with_its_transaction_and_never_reaches_the_next_one_on_the_connection(spent):
    home = spent
    with home.engine.connect() as conn:  # what a pooled connection's next user would get
        scope(conn, home.family.id, home.mom.id)
        assert conn.execute(text("SELECT count(*) FROM transactions")).scalar() == 2
        conn.commit()
        assert conn.execute(text("SELECT count(*) FROM transactions")).scalar() == 0


def test_inserting_a_row_for_another_family_while_scoped_to_mine_is_refused_by_the_policy(spent):
    home = spent
    with home.owner.connect() as conn:  # a row that is valid for the Others in every other way
        others_dining = conn.execute(
            text("SELECT id, kind FROM categories WHERE family_id = :f AND name = 'Dining'"), {"f": home.other.id}
        ).one()
    before = fingerprint(home.owner)
    with home.engine.connect() as conn:
        scope(conn, home.family.id, home.mom.id)
        with pytest.raises(DBAPIError) as refused:
            conn.execute(
                text(
                    "INSERT INTO transactions (family_id, user_id, category_id, kind, amount, description, occurred_on, "
                    "client_id) VALUES (:f, :u, :c, :k, 100, 'Smuggled', :d, gen_random_uuid())"
                ),
                {"f": home.other.id, "u": home.eve.id, "c": others_dining.id, "k": others_dining.kind, "d": APRIL_5},
            )
        conn.rollback()
    assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege)
    assert 'new row violates row-level security policy for table "transactions"' in str(refused.value.orig)
    assert fingerprint(home.owner) == before


def test_an_update_that_forgets_where_family_id_touches_only_the_scoped_family(spent):
    home = spent
    before = fingerprint(home.owner)
    with home.engine.connect() as conn:
        scope(conn, home.other.id, home.eve.id)
        touched = conn.execute(text("UPDATE transactions SET description = 'oops'")).rowcount
        conn.rollback()
    assert touched == len(stored_ids(home.owner, home.other.id)) == 1
    assert fingerprint(home.owner) == before


def test_system_work_across_families_on_the_apps_engine_fails_instead_of_seeing_nothing(spent):
    notifications.dispatch_due(spent.owner)  # the owner's engine, where this work belongs, reads every family
    with pytest.raises(DBAPIError, match="would be affected by row-level security policy"):
        notifications.dispatch_due(spent.engine)


def test_the_app_is_budget_app_which_is_no_superuser_and_cannot_bypass_row_level_security(engine):
    with engine.connect() as conn:
        user = conn.execute(text("SELECT current_user")).scalar()
        role = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    assert user == APP_ROLE == "budget_app"
    assert (role.rolsuper, role.rolbypassrls) == (False, False)


def test_the_app_role_owns_no_table_and_every_family_table_forces_row_level_security(engine, owner_engine):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_tables WHERE tableowner = :r"), {"r": APP_ROLE}).scalar() == 0
    with owner_engine.connect() as conn:
        family_tables = {"families"} | set(
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'family_id' AND NOT a.attisdropped "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r'"
                )
            ).scalars()
        )
        unguarded = set(
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT (c.relrowsecurity AND c.relforcerowsecurity)"
                )
            ).scalars()
        )
    assert set(FAMILY_TABLES) <= family_tables
    assert family_tables & unguarded == set()

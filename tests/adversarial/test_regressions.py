"""What the adversarial tests found, pinned as plain cases so they never come back unnoticed.

The state machine and the fuzzers reach these by chance; here each is one call with the input
that broke it, run as the app role under row-level security, with the owner checking that a
refusal wrote nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from budget_core.errors import PermissionDenied, ValidationError
from budget_core.services import accounts, activity, categories, families, invitations, sessions
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionDraft, TransactionFilter, add_transaction, list_transactions

PASSWORD = "regression horse battery"
BEYOND_BIGINT = 2**63  # no family can have this id; the policies' cast of it used to fail every query


@pytest.fixture
def smiths(engine):
    mom = accounts.create_user(engine, "mom@example.com", "Mom", PASSWORD)
    fam = families.create_family(
        engine,
        mom.id,
        name="Smiths",
        currency="USD",
        timezone="America/New_York",
        monthly_income=300000,
        savings_goal=0,
        period_start_day=1,
    )
    return mom, fam


def rows(owner_engine) -> tuple:
    with owner_engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT (SELECT sum(version) FROM families), (SELECT count(*) FROM transactions), "
                    "(SELECT count(*) FROM categories), (SELECT count(*) FROM fixed_expenses), "
                    "(SELECT count(*) FROM members), (SELECT count(*) FROM users)"
                )
            ).one()
        )


@pytest.mark.parametrize(
    "call",
    [
        lambda e, u: open_family(e, u, BEYOND_BIGINT).family,
        lambda e, u: list_transactions(open_family(e, u, BEYOND_BIGINT)),
        lambda e, u: activity.changes_since(open_family(e, u, BEYOND_BIGINT), 0),
        lambda e, u: families.update_plan(open_family(e, u, BEYOND_BIGINT), savings_goal=1),
        lambda e, u: add_transaction(open_family(e, u, BEYOND_BIGINT), TransactionDraft(100, "Lunch", 1)),
    ],
    ids=["get_family", "list_transactions", "changes_since", "update_plan", "add_transaction"],
)
def test_a_family_id_beyond_bigint_is_a_family_nobody_belongs_to(engine, owner_engine, smiths, call):
    mom, _ = smiths
    before = rows(owner_engine)
    with pytest.raises(PermissionDenied, match="not a member"):
        call(engine, mom.id)
    assert rows(owner_engine) == before


@pytest.mark.parametrize("bad", ["Lunch\x00", "bad \udcff byte"], ids=["NUL", "lone surrogate"])
@pytest.mark.parametrize(
    "call",
    [
        lambda e, u, f, bad: add_transaction(open_family(e, u, f), TransactionDraft(100, bad, "Dining")),
        lambda e, u, f, bad: categories.add_category(open_family(e, u, f), bad, "variable"),
        lambda e, u, f, bad: families.update_plan(open_family(e, u, f), name=bad),
        lambda e, u, f, bad: families.add_fixed_expense(open_family(e, u, f), bad, 100),
        lambda e, u, f, bad: accounts.create_user(e, "x@example.com", bad, PASSWORD),
        lambda e, u, f, bad: invitations.redeem_invitation(
            e,
            accounts.create_user(e, "dad@example.com", "Dad", PASSWORD).id,
            invitations.create_invitation(open_family(e, u, f)).token,
            display_name=bad,
        ),
    ],
    ids=["description", "category", "family name", "fixed expense", "user name", "name on joining"],
)
def test_text_the_database_cannot_store_is_refused_as_a_validation_error(engine, owner_engine, smiths, call, bad):
    mom, fam = smiths
    with pytest.raises(ValidationError, match="cannot be saved|not valid Unicode"):
        call(engine, mom.id, fam.id, bad)
    assert (
        add_transaction(open_family(engine, mom.id, fam.id), TransactionDraft(100, "Lunch", "Dining")).description
        == "Lunch"
    )


def test_searching_or_signing_in_with_a_nul_answers_instead_of_failing(engine, smiths):
    mom, fam = smiths
    add_transaction(open_family(engine, mom.id, fam.id), TransactionDraft(100, "Lunch", "Dining"))
    assert [
        t.description
        for t in list_transactions(open_family(engine, mom.id, fam.id), TransactionFilter(text="Lu\x00nch"))
    ] == ["Lunch"]
    with pytest.raises(PermissionDenied, match="do not match"):
        sessions.sign_in(engine, "mom@example.com\x00", "wrong password", client="203.0.113.9")
    assert sessions.sign_in(engine, "mom@example.com", PASSWORD)[0].id == mom.id

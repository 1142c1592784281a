"""Who may do what, checked by every service itself; and one family's ids never reach another's data.

The refusal cases share one database built once for this module: each takes a fingerprint of every
table before and after, so a refusal that wrote anything fails by itself. Cases that must write use
the per-test ``home`` household.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import text

from budget_core.errors import NotFound, PermissionDenied
from budget_core.services import accounts, activity, budgets, categories, families, invitations, members
from budget_core.services.access import open_family
from budget_core.services.transactions import (
    TransactionChanges,
    TransactionDraft,
    TransactionFilter,
    add_transaction,
    delete_transaction,
    edit_transaction,
    get_transaction,
    list_transactions,
)

from .conftest import fingerprint

APRIL_5 = date(2026, 4, 5)
PASSWORD = "correct horse battery"


@dataclass
class Side:
    """One family as seen by its manager, with one of each kind of thing in it."""

    manager: accounts.User
    family_id: int
    tx_id: int
    category_id: int
    fixed_id: int
    invitation_id: int


@dataclass
class World:
    engine: object  # the app's (row-level security applies): every service call goes through it
    owner: object  # sees every row: for fingerprints and for reading what was stored
    mom: accounts.User
    dad: accounts.User
    eve: accounts.User
    smiths: Side  # Mom manages, Dad is a member
    others: Side  # Eve manages


def _side(engine, manager, name, currency, zone) -> Side:
    fam = families.create_family(
        engine,
        manager.id,
        name=name,
        currency=currency,
        timezone=zone,
        monthly_income=300000,
        savings_goal=0,
        period_start_day=1,
    )
    cat = categories.add_category(open_family(engine, manager.id, fam.id), f"{name} pets", "variable")
    fixed = families.add_fixed_expense(open_family(engine, manager.id, fam.id), f"{name} rent", 100000)
    tx = add_transaction(
        open_family(engine, manager.id, fam.id), TransactionDraft(2000, f"{name} lunch", cat.id, APRIL_5)
    )
    inv = invitations.create_invitation(open_family(engine, manager.id, fam.id)).invitation
    return Side(manager, fam.id, tx.id, cat.id, fixed.id, inv.id)


@pytest.fixture(scope="module")
def world(module_engines) -> World:
    engine, owner = module_engines
    mom = accounts.create_user(engine, "mom@example.com", "Mom", PASSWORD)
    dad = accounts.create_user(engine, "dad@example.com", "Dad", PASSWORD)
    eve = accounts.create_user(engine, "eve@example.com", "Eve", PASSWORD)
    smiths = _side(engine, mom, "Smiths", "USD", "America/New_York")
    invitations.redeem_invitation(
        engine, dad.id, invitations.create_invitation(open_family(engine, mom.id, smiths.family_id)).token
    )
    others = _side(engine, eve, "Others", "EUR", "Europe/Berlin")
    return World(engine, owner, mom, dad, eve, smiths, others)


def refused(world: World, error: type[Exception], fragment: str, attempt) -> None:
    before = fingerprint(world.owner)
    with pytest.raises(error) as caught:
        attempt()
    assert fragment in str(caught.value)
    assert fingerprint(world.owner) == before


# --- a member doing a manager's action -------------------------------------------------------------

MANAGER_ACTIONS = {
    "change the plan": lambda w, f: families.update_plan(
        open_family(w.engine, w.dad.id, f.family_id), monthly_income=1
    ),
    "change fixed expenses (add)": lambda w, f: families.add_fixed_expense(
        open_family(w.engine, w.dad.id, f.family_id), "Boat", 9
    ),
    "change fixed expenses (remove)": lambda w, f: families.remove_fixed_expense(
        open_family(w.engine, w.dad.id, f.family_id), f.fixed_id
    ),
    "change categories (add)": lambda w, f: categories.add_category(
        open_family(w.engine, w.dad.id, f.family_id), "Boat", "fixed"
    ),
    "change categories (rename)": lambda w, f: categories.rename_category(
        open_family(w.engine, w.dad.id, f.family_id), f.category_id, "Dogs"
    ),
    "change categories (archive)": lambda w, f: categories.archive_category(
        open_family(w.engine, w.dad.id, f.family_id), f.category_id
    ),
    "invite people": lambda w, f: invitations.create_invitation(open_family(w.engine, w.dad.id, f.family_id)),
    "revoke invitations": lambda w, f: invitations.revoke_invitation(
        open_family(w.engine, w.dad.id, f.family_id), f.invitation_id
    ),
    "change roles (promote himself)": lambda w, f: members.change_role(
        open_family(w.engine, w.dad.id, f.family_id), w.dad.id, "manager"
    ),
    "change roles (demote the manager)": lambda w, f: members.change_role(
        open_family(w.engine, w.dad.id, f.family_id), w.mom.id, "member"
    ),
    "remove members": lambda w, f: members.remove_member(open_family(w.engine, w.dad.id, f.family_id), w.mom.id),
}


@pytest.mark.parametrize("action", MANAGER_ACTIONS)
def test_a_member_cannot_do_a_managers_action(world, action):
    words = action.split(" (")[0]
    refused(
        world,
        PermissionDenied,
        f"Only a manager of this family can {words}.",
        lambda: MANAGER_ACTIONS[action](world, world.smiths),
    )


def test_a_member_may_add_edit_and_delete_anyones_transactions(home):
    engine, family = home.engine, home.family.id
    moms = add_transaction(
        open_family(engine, home.mom.id, family), TransactionDraft(900, "Bread", "Groceries", APRIL_5)
    )
    edited = edit_transaction(
        open_family(engine, home.dad.id, family),
        moms.id,
        moms.row_version,
        TransactionChanges(950, "Bread", "Groceries", APRIL_5),
    )
    delete_transaction(open_family(engine, home.dad.id, family), edited.id, edited.row_version)
    assert list_transactions(open_family(engine, home.dad.id, family)) == []


# --- someone outside the family --------------------------------------------------------------------

OUTSIDER_CALLS = {
    "add a transaction": lambda w, f: add_transaction(
        open_family(w.engine, w.eve.id, f.family_id), TransactionDraft(100, "x", f.category_id, APRIL_5)
    ),
    "edit a transaction": lambda w, f: edit_transaction(
        open_family(w.engine, w.eve.id, f.family_id), f.tx_id, 1, TransactionChanges(1, "x", f.category_id, APRIL_5)
    ),
    "delete a transaction": lambda w, f: delete_transaction(open_family(w.engine, w.eve.id, f.family_id), f.tx_id, 1),
    "change the plan": lambda w, f: families.update_plan(open_family(w.engine, w.eve.id, f.family_id), savings_goal=0),
    "add a fixed expense": lambda w, f: families.add_fixed_expense(
        open_family(w.engine, w.eve.id, f.family_id), "Boat", 5
    ),
    "add a category": lambda w, f: categories.add_category(
        open_family(w.engine, w.eve.id, f.family_id), "Boat", "fixed"
    ),
    "invite": lambda w, f: invitations.create_invitation(open_family(w.engine, w.eve.id, f.family_id), role="manager"),
    "make herself a manager": lambda w, f: members.change_role(
        open_family(w.engine, w.eve.id, f.family_id), w.eve.id, "manager"
    ),
    "remove the manager": lambda w, f: members.remove_member(open_family(w.engine, w.eve.id, f.family_id), w.mom.id),
    "read the family": lambda w, f: open_family(w.engine, w.eve.id, f.family_id).family,
    "read a transaction": lambda w, f: get_transaction(open_family(w.engine, w.eve.id, f.family_id), f.tx_id),
    "list transactions": lambda w, f: list_transactions(open_family(w.engine, w.eve.id, f.family_id)),
    "list categories": lambda w, f: categories.list_categories(open_family(w.engine, w.eve.id, f.family_id)),
    "list fixed expenses": lambda w, f: families.list_fixed_expenses(open_family(w.engine, w.eve.id, f.family_id)),
    "list members": lambda w, f: members.list_members(open_family(w.engine, w.eve.id, f.family_id)),
    "list invitations": lambda w, f: invitations.list_invitations(open_family(w.engine, w.eve.id, f.family_id)),
    "read the change feed": lambda w, f: activity.changes_since(open_family(w.engine, w.eve.id, f.family_id), 0),
    "read the activity": lambda w, f: activity.recent_activity(open_family(w.engine, w.eve.id, f.family_id)),
}


@pytest.mark.parametrize("call", OUTSIDER_CALLS)
def test_someone_outside_the_family_can_neither_read_nor_change_it(world, call):
    refused(
        world,
        PermissionDenied,
        f"You are not a member of family {world.smiths.family_id}; ask one of its managers",
        lambda: OUTSIDER_CALLS[call](world, world.smiths),
    )


def test_a_removed_member_loses_access_but_their_entries_keep_their_name(home):
    engine, family = home.engine, home.family.id
    dads = add_transaction(open_family(engine, home.dad.id, family), TransactionDraft(700, "Coffee", "Dining", APRIL_5))
    members.remove_member(open_family(engine, home.mom.id, family), home.dad.id)
    with pytest.raises(PermissionDenied, match="not a member"):
        add_transaction(open_family(engine, home.dad.id, family), TransactionDraft(700, "Coffee", "Dining", APRIL_5))
    with pytest.raises(PermissionDenied, match="not a member"):
        list_transactions(open_family(engine, home.dad.id, family))
    assert get_transaction(open_family(engine, home.mom.id, family), dads.id).member == "Dad"
    assert [m.display_name for m in members.list_members(open_family(engine, home.mom.id, family))] == ["Mom"]


def test_a_role_change_takes_effect_on_the_next_call(home):
    engine, family = home.engine, home.family.id
    members.change_role(open_family(engine, home.mom.id, family), home.dad.id, "manager")
    families.update_plan(open_family(engine, home.dad.id, family), savings_goal=70000)
    members.change_role(open_family(engine, home.dad.id, family), home.mom.id, "member")
    with pytest.raises(PermissionDenied, match="Only a manager of this family can change the plan"):
        families.update_plan(open_family(engine, home.mom.id, family), savings_goal=0)
    assert open_family(engine, home.mom.id, family).family.savings_goal == 70000


# --- one family's ids never reach another family's data --------------------------------------------

FOREIGN_IDS = {
    "read its transaction": lambda w, me, it: get_transaction(
        open_family(w.engine, me.manager.id, me.family_id), it.tx_id
    ),
    "edit its transaction": lambda w, me, it: edit_transaction(
        open_family(w.engine, me.manager.id, me.family_id),
        it.tx_id,
        1,
        TransactionChanges(1, "mine now", me.category_id, APRIL_5),
    ),
    "delete its transaction": lambda w, me, it: delete_transaction(
        open_family(w.engine, me.manager.id, me.family_id), it.tx_id, 1
    ),
    "add with its category": lambda w, me, it: add_transaction(
        open_family(w.engine, me.manager.id, me.family_id), TransactionDraft(100, "x", it.category_id, APRIL_5)
    ),
    "edit into its category": lambda w, me, it: edit_transaction(
        open_family(w.engine, me.manager.id, me.family_id),
        me.tx_id,
        1,
        TransactionChanges(2000, "x", it.category_id, APRIL_5),
    ),
    "rename its category": lambda w, me, it: categories.rename_category(
        open_family(w.engine, me.manager.id, me.family_id), it.category_id, "Stolen"
    ),
    "archive its category": lambda w, me, it: categories.archive_category(
        open_family(w.engine, me.manager.id, me.family_id), it.category_id
    ),
    "add under its category": lambda w, me, it: categories.add_category(
        open_family(w.engine, me.manager.id, me.family_id), "Sub", parent=it.category_id
    ),
    "remove its fixed expense": lambda w, me, it: families.remove_fixed_expense(
        open_family(w.engine, me.manager.id, me.family_id), it.fixed_id
    ),
    "revoke its invitation": lambda w, me, it: invitations.revoke_invitation(
        open_family(w.engine, me.manager.id, me.family_id), it.invitation_id
    ),
    "change its manager's role": lambda w, me, it: members.change_role(
        open_family(w.engine, me.manager.id, me.family_id), it.manager.id, "member"
    ),
    "remove its manager": lambda w, me, it: members.remove_member(
        open_family(w.engine, me.manager.id, me.family_id), it.manager.id
    ),
}


@pytest.mark.parametrize("direction", ["Mom with the Others' ids", "Eve with the Smiths' ids"])
@pytest.mark.parametrize("use", FOREIGN_IDS)
def test_another_familys_ids_used_in_my_family_are_not_found_and_change_nothing(world, use, direction):
    me, it = (world.smiths, world.others) if direction.startswith("Mom") else (world.others, world.smiths)
    before = fingerprint(world.owner)
    with pytest.raises(NotFound):
        FOREIGN_IDS[use](world, me, it)
    assert fingerprint(world.owner) == before


@pytest.mark.parametrize(
    "use",
    [
        "edit its transaction",
        "delete its transaction",
        "remove its fixed expense",
        "revoke its invitation",
        "rename its category",
    ],
)
def test_my_own_ids_used_with_another_familys_id_are_refused_as_not_a_member(world, use):
    # Mom names the Others' family but her own rows: she is no member there, so nothing is looked up.
    as_if_mine = Side(
        world.mom,
        world.others.family_id,
        world.smiths.tx_id,
        world.smiths.category_id,
        world.smiths.fixed_id,
        world.smiths.invitation_id,
    )
    refused(
        world, PermissionDenied, "not a member of family", lambda: FOREIGN_IDS[use](world, as_if_mine, world.smiths)
    )


def _family_ids_in(rows) -> set[int]:
    return {r.family_id for r in rows}


def test_lists_and_feeds_only_ever_return_the_asking_familys_rows(world):
    w = world
    for me in (w.smiths, w.others):
        who, fam = me.manager.id, me.family_id
        with w.owner.connect() as conn:  # what is stored, past row-level security
            own = {
                t: set(conn.execute(text(f"SELECT id FROM {t} WHERE family_id = :f"), {"f": fam}).scalars())
                for t in ("transactions", "categories", "fixed_expenses", "invitations")
            }
            member_ids = set(
                conn.execute(
                    text("SELECT user_id FROM members WHERE family_id = :f AND removed_at IS NULL"), {"f": fam}
                ).scalars()
            )
        txs = list_transactions(open_family(w.engine, who, fam))
        assert {t.id for t in txs} == own["transactions"] and _family_ids_in(txs) == {fam}
        assert {
            c.id for c in categories.list_categories(open_family(w.engine, who, fam), include_archived=True)
        } == own["categories"]
        assert {x.id for x in families.list_fixed_expenses(open_family(w.engine, who, fam))} == own["fixed_expenses"]
        invs = invitations.list_invitations(open_family(w.engine, who, fam))
        assert {i.id for i in invs} == own["invitations"] and _family_ids_in(invs) == {fam}
        assert {m.user_id for m in members.list_members(open_family(w.engine, who, fam))} == member_ids
        for feed in (
            activity.changes_since(open_family(w.engine, who, fam), 0),
            activity.recent_activity(open_family(w.engine, who, fam)),
        ):
            assert feed and _family_ids_in(feed) == {fam}
    assert w.eve.id not in {
        m.user_id for m in members.list_members(open_family(w.engine, w.mom.id, w.smiths.family_id))
    }


def test_filtering_by_another_familys_member_or_category_finds_nothing(world):
    w = world
    mine = open_family(w.engine, w.mom.id, w.smiths.family_id)
    assert list_transactions(mine, flt=TransactionFilter(member_id=w.eve.id)) == []
    assert list_transactions(mine, flt=TransactionFilter(category_id=w.others.category_id)) == []
    assert list_transactions(mine, flt=TransactionFilter(text="Others")) == []


def test_a_client_id_already_used_in_another_family_stores_a_new_row_there(world):
    # The idempotency key is (family, client_id): a collision must never hand back the other family's row.
    w = world
    cid = uuid.uuid4()
    mine = add_transaction(
        open_family(w.engine, w.mom.id, w.smiths.family_id),
        TransactionDraft(300, "Bus", "Transport", APRIL_5, client_id=cid),
    )
    theirs = add_transaction(
        open_family(w.engine, w.eve.id, w.others.family_id),
        TransactionDraft(300, "Bus", "Transport", APRIL_5, client_id=cid),
    )
    assert (mine.family_id, theirs.family_id) == (w.smiths.family_id, w.others.family_id)
    assert mine.id != theirs.id and theirs.member == "Eve"


def test_another_familys_spending_never_moves_my_daily_budget(home):
    engine = home.engine
    mine = budgets.daily_budget(home.access(), APRIL_5)
    add_transaction(
        open_family(engine, home.eve.id, home.other.id), TransactionDraft(99999, "Big night", "Dining", APRIL_5)
    )
    budgets.clear_cache()
    assert budgets.daily_budget(home.access(), APRIL_5).budget == mine.budget

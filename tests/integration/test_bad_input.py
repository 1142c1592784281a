"""Bad input gets a typed error with a message a person can act on, and writes nothing.

Every case shares one database (built once for this module, to keep the suite fast): each case
takes a fingerprint of every table before and after, so a case that wrote anything fails by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from budget_core.domain.money import MAX_MINOR, parse_amount
from budget_core.errors import NotFound, PermissionDenied, ValidationError
from budget_core.services import accounts, categories, families, invitations, members
from budget_core.services.access import open_family
from budget_core.services.transactions import (
    TransactionChanges,
    TransactionDraft,
    add_transaction,
    edit_transaction,
)

from .conftest import fingerprint

APRIL_5 = date(2026, 4, 5)
PASSWORD = "correct horse battery"


@dataclass
class World:
    """Mom (manager) and Dad (member) in the USD Smiths, Eve in the EUR Others; Mom also runs a JPY
    and a KWD family. Dad has one lunch on record; 'Gym' is archived; 'Dining › Coffee' exists."""

    engine: object  # the app's (row-level security applies): every service call goes through it
    owner: object  # sees every row: for fingerprints and for reading what was stored
    mom: accounts.User
    dad: accounts.User
    eve: accounts.User
    family: families.Family
    other: families.Family
    yen: families.Family
    dinar: families.Family
    lunch_id: int
    fixed_id: int
    gym_id: int
    fun_id: int


@pytest.fixture(scope="module")
def world(module_engines) -> World:
    engine, owner = module_engines
    mom = accounts.create_user(engine, "mom@example.com", "Mom", PASSWORD)
    dad = accounts.create_user(engine, "dad@example.com", "Dad", PASSWORD)
    eve = accounts.create_user(engine, "eve@example.com", "Eve", PASSWORD)
    plan = dict(monthly_income=520000, savings_goal=60000, period_start_day=1)
    family = families.create_family(engine, mom.id, name="Smiths", currency="USD", timezone="America/New_York", **plan)
    other = families.create_family(engine, eve.id, name="Others", currency="EUR", timezone="Europe/Berlin", **plan)
    yen = families.create_family(engine, mom.id, name="Tanakas", currency="JPY", timezone="Asia/Tokyo", **plan)
    dinar = families.create_family(engine, mom.id, name="Sabahs", currency="KWD", timezone="Asia/Kuwait", **plan)
    fixed = families.add_fixed_expense(open_family(engine, mom.id, family.id), "Rent", 150000)
    invitations.redeem_invitation(
        engine, dad.id, invitations.create_invitation(open_family(engine, mom.id, family.id)).token
    )
    gym = categories.add_category(open_family(engine, mom.id, family.id), "Gym", "variable")
    categories.archive_category(open_family(engine, mom.id, family.id), gym.id)
    categories.add_category(open_family(engine, mom.id, family.id), "Coffee", parent="Dining")
    lunch = add_transaction(open_family(engine, dad.id, family.id), TransactionDraft(1500, "Lunch", "Dining", APRIL_5))
    fun = next(c for c in categories.list_categories(open_family(engine, mom.id, family.id)) if c.name == "Fun")
    return World(engine, owner, mom, dad, eve, family, other, yen, dinar, lunch.id, fixed.id, gym.id, fun.id)


def add(w: World, amount=1500, description="Lunch", category="Dining", *, by=None, family=None, **kw):
    draft = TransactionDraft(amount, description, category, kw.pop("occurred_on", APRIL_5), **kw)
    return add_transaction(open_family(w.engine, by or w.dad.id, family or w.family.id), draft)


def add_typed(w: World, typed: str, family: families.Family | None = None):
    """What the quick-entry form does: parse the text in the family's currency, then add."""
    family = family or w.family
    return add(w, parse_amount(typed, family.currency), family=family.id, by=w.mom.id)


def edit(w: World, amount=1500, description="Lunch", category="Dining", **kw):
    changes = TransactionChanges(amount, description, category, kw.pop("occurred_on", APRIL_5), **kw)
    return edit_transaction(open_family(w.engine, w.dad.id, w.family.id), w.lunch_id, 1, changes)


def new_family(w: World, **changes):
    fields = dict(
        name="Joneses",
        currency="USD",
        timezone="Europe/London",
        monthly_income=100000,
        savings_goal=0,
        period_start_day=1,
    )
    return families.create_family(w.engine, w.mom.id, **{**fields, **changes})


def plan(w: World, **changes):
    return families.update_plan(open_family(w.engine, w.mom.id, w.family.id), **changes)


V, N, P = ValidationError, NotFound, PermissionDenied

CASES = [
    # amounts, as minor units reaching the service
    ("zero amount", lambda w: add(w, 0), V, "must be more than zero"),
    ("negative amount not marked as a refund", lambda w: add(w, -500), V, "mark it as a refund"),
    (
        "refund against an income category",
        lambda w: add(w, 500, "Bonus back", "Salary", refund=True),
        V,
        "refund goes against an expense category",
    ),
    ("amount over 1e12 minor units", lambda w: add(w, MAX_MINOR + 1), V, "larger than any household amount"),
    ("refund over 1e12 minor units", lambda w: add(w, MAX_MINOR + 1, refund=True), V, "larger than any"),
    ("amount as text", lambda w: add(w, "15.00"), V, "whole number of minor units"),
    ("amount as float", lambda w: add(w, 15.5), V, "whole number of minor units"),
    ("amount as Decimal", lambda w: add(w, Decimal("15.00")), V, "whole number of minor units"),
    ("amount as bool", lambda w: add(w, True), V, "whole number of minor units"),
    # amounts as typed, through money.parse_amount in the family's currency
    ("typed text", lambda w: add_typed(w, "fifteen"), V, "'fifteen' is not an amount"),
    ("typed 3 decimals in USD", lambda w: add_typed(w, "15.001"), V, "USD amounts have at most 2 decimals"),
    ("typed decimals in JPY", lambda w: add_typed(w, "1500.5", w.yen), V, "JPY amounts have no decimals"),
    ("typed 4 decimals in KWD", lambda w: add_typed(w, "1.2345", w.dinar), V, "KWD amounts have at most 3"),
    ("typed zero", lambda w: add_typed(w, "0.00"), V, "must not be zero"),
    ("typed negative", lambda w: add_typed(w, "-5"), V, "mark it as a refund"),
    ("typed absurd amount", lambda w: add_typed(w, "10000000000.01"), V, "larger than any household amount"),
    # descriptions and dates
    ("empty description", lambda w: add(w, description=""), V, "Describe the expense"),
    ("blank description", lambda w: add(w, description=" \t\n "), V, "Describe the expense"),
    ("500-character description", lambda w: add(w, description="x" * 500), V, "under 500 characters"),
    ("5000-character description", lambda w: add(w, description="x" * 5000), V, "under 500 characters"),
    (
        "date over a year ahead",
        lambda w: add(w, occurred_on=date.today() + timedelta(days=400)),
        V,
        "more than a year ahead",
    ),
    ("date before 1970", lambda w: add(w, occurred_on=date(1969, 12, 31)), V, "too far in the past"),
    ("date as text", lambda w: add(w, occurred_on="2026-04-05"), V, "calendar date"),
    # categories
    ("unknown category name", lambda w: add(w, category="Yachts"), N, "no category 'Yachts'. Categories: "),
    ("unknown category id", lambda w: add(w, category=987654321), N, "no category 987654321"),
    ("no category", lambda w: add(w, category=""), V, "Choose a category"),
    ("archived category by name", lambda w: add(w, category="Gym"), V, "'Gym' is archived; choose another"),
    ("archived category by id", lambda w: add(w, category=w.gym_id), V, "'Gym' is archived"),
    # families and the people in them
    ("unknown family", lambda w: add(w, family=987654321), P, "not a member of family 987654321"),
    ("family id as text", lambda w: add(w, family=str(w.family.id)), V, "is not a family id"),
    ("a non-member adding", lambda w: add(w, by=w.eve.id), P, "ask one of its managers for an invitation"),
    # edits
    ("edit to zero", lambda w: edit(w, 0), V, "must be more than zero"),
    ("edit to an empty description", lambda w: edit(w, description=""), V, "Describe the expense"),
    ("edit to 500 characters", lambda w: edit(w, description="y" * 500), V, "under 500 characters"),
    ("edit to an archived category", lambda w: edit(w, category="Gym"), V, "'Gym' is archived"),
    ("edit to an unknown category", lambda w: edit(w, category="Yachts"), N, "no category 'Yachts'"),
    (
        "edit of an unknown transaction",
        lambda w: edit_transaction(
            open_family(w.engine, w.dad.id, w.family.id), 987654321, 1, TransactionChanges(100, "x", "Dining", APRIL_5)
        ),
        N,
        "no transaction 987654321",
    ),
    # creating a family
    ("unknown currency on create", lambda w: new_family(w, currency="XYZ"), V, "'XYZ' is not a currency code"),
    (
        "unknown time zone on create",
        lambda w: new_family(w, timezone="Mars/Olympus_Mons"),
        V,
        "not a time zone we know; use an IANA name",
    ),
    ("start day 0 on create", lambda w: new_family(w, period_start_day=0), V, "from 1 to 31, not 0"),
    ("start day 32 on create", lambda w: new_family(w, period_start_day=32), V, "from 1 to 31, not 32"),
    ("negative income on create", lambda w: new_family(w, monthly_income=-1), V, "monthly income cannot be negative"),
    ("absurd income on create", lambda w: new_family(w, monthly_income=MAX_MINOR + 1), V, "larger than any"),
    ("empty family name", lambda w: new_family(w, name="  "), V, "Give the family a name"),
    # changing the plan
    ("unknown currency on plan", lambda w: plan(w, currency="ABC"), V, "'ABC' is not a currency code"),
    ("unknown time zone on plan", lambda w: plan(w, timezone="Europe/Atlantis"), V, "not a time zone we know"),
    ("start day 0 on plan", lambda w: plan(w, period_start_day=0), V, "from 1 to 31, not 0"),
    ("start day 32 on plan", lambda w: plan(w, period_start_day=32), V, "from 1 to 31, not 32"),
    ("negative savings goal", lambda w: plan(w, savings_goal=-100), V, "savings goal cannot be negative"),
    ("unknown part of the plan", lambda w: plan(w, allowance=5), V, "not parts of the plan: allowance"),
    # fixed expenses
    (
        "zero fixed expense",
        lambda w: families.add_fixed_expense(open_family(w.engine, w.mom.id, w.family.id), "Gym", 0),
        V,
        "more than zero",
    ),
    (
        "negative fixed expense",
        lambda w: families.add_fixed_expense(open_family(w.engine, w.mom.id, w.family.id), "Gym", -5),
        V,
        "cannot be negative",
    ),
    (
        "absurd fixed expense",
        lambda w: families.add_fixed_expense(open_family(w.engine, w.mom.id, w.family.id), "Gym", MAX_MINOR + 1),
        V,
        "larger than any",
    ),
    (
        "unnamed fixed expense",
        lambda w: families.add_fixed_expense(open_family(w.engine, w.mom.id, w.family.id), "", 100),
        V,
        "Name the fixed expense",
    ),
    (
        "removing an unknown fixed expense",
        lambda w: families.remove_fixed_expense(open_family(w.engine, w.mom.id, w.family.id), 987654321),
        N,
        "no fixed expense",
    ),
    # categories
    (
        "unnamed category",
        lambda w: categories.add_category(open_family(w.engine, w.mom.id, w.family.id), " ", "variable"),
        V,
        "Give the category a name",
    ),
    (
        "unknown category kind",
        lambda w: categories.add_category(open_family(w.engine, w.mom.id, w.family.id), "Art", "luxury"),
        V,
        "one of: fixed, variable, savings, income",
    ),
    (
        "duplicate category",
        lambda w: categories.add_category(open_family(w.engine, w.mom.id, w.family.id), "dining", "variable"),
        V,
        "already a category called 'dining'",
    ),
    (
        "subcategory of a subcategory",
        lambda w: categories.add_category(
            open_family(w.engine, w.mom.id, w.family.id), "Latte", parent="Dining › Coffee"
        ),
        V,
        "one level deep",
    ),
    (
        "subcategory of an archived category",
        lambda w: categories.add_category(open_family(w.engine, w.mom.id, w.family.id), "Yoga", parent=w.gym_id),
        V,
        "'Gym' is archived",
    ),
    (
        "renaming onto an existing name",
        lambda w: categories.rename_category(open_family(w.engine, w.mom.id, w.family.id), w.fun_id, "Groceries"),
        V,
        "already a category called 'Groceries'",
    ),
    # members
    (
        "unknown role",
        lambda w: members.change_role(open_family(w.engine, w.mom.id, w.family.id), w.dad.id, "owner"),
        V,
        "'manager' or 'member', not 'owner'",
    ),
    (
        "the last manager stepping down",
        lambda w: members.change_role(open_family(w.engine, w.mom.id, w.family.id), w.mom.id, "member"),
        V,
        "needs at least one manager",
    ),
    (
        "the last manager removing herself",
        lambda w: members.remove_member(open_family(w.engine, w.mom.id, w.family.id), w.mom.id),
        V,
        "needs at least one manager",
    ),
    # invitations
    (
        "invitation for an unknown role",
        lambda w: invitations.create_invitation(open_family(w.engine, w.mom.id, w.family.id), role="owner"),
        V,
        "'member' or a 'manager', not 'owner'",
    ),
    # accounts
    (
        "malformed email",
        lambda w: accounts.create_user(w.engine, "dad-at-home", "Dad", PASSWORD),
        V,
        "should look like name@example.com",
    ),
    (
        "short password",
        lambda w: accounts.create_user(w.engine, "kid@example.com", "Kid", "abc"),
        V,
        "at least 8 characters",
    ),
    (
        "common password",
        lambda w: accounts.create_user(w.engine, "kid@example.com", "Kid", "password"),
        V,
        "most common ones",
    ),
    (
        "email already used",
        lambda w: accounts.create_user(w.engine, "MOM@example.com", "Mom 2", PASSWORD),
        V,
        "already an account for MOM@example.com; sign in instead",
    ),
]


@pytest.mark.parametrize("attempt, error, fragment", [pytest.param(a, e, f, id=i) for i, a, e, f in CASES])
def test_bad_input_is_refused_with_a_reason_and_writes_nothing(world, attempt, error, fragment):
    before = fingerprint(world.owner)
    with pytest.raises(error) as refused:
        attempt(world)
    assert fragment in str(refused.value)
    assert fingerprint(world.owner) == before


def test_the_largest_amount_and_a_499_character_description_are_accepted(home):
    tx = add_transaction(
        open_family(home.engine, home.dad.id, home.family.id), TransactionDraft(MAX_MINOR, "x" * 499, "Dining", APRIL_5)
    )
    assert (tx.amount, len(tx.description)) == (MAX_MINOR, 499)


def test_typed_amounts_in_each_currency_are_stored_in_its_minor_unit(home):
    engine, mom = home.engine, home.mom.id
    stored = {}
    for currency, zone, typed in [
        ("USD", "America/Chicago", "15.50"),
        ("JPY", "Asia/Tokyo", "1,500"),
        ("KWD", "Asia/Kuwait", "1.234"),
    ]:
        fam = families.create_family(
            engine,
            mom,
            name=currency,
            currency=currency,
            timezone=zone,
            monthly_income=100000,
            savings_goal=0,
            period_start_day=1,
        )
        draft = TransactionDraft(parse_amount(typed, currency), "Tea", "Dining", APRIL_5)
        stored[currency] = add_transaction(open_family(engine, mom, fam.id), draft).amount
    assert stored == {"USD": 1550, "JPY": 1500, "KWD": 1234}


def test_descriptions_are_stored_with_their_whitespace_tidied(home):
    tx = add_transaction(
        open_family(home.engine, home.dad.id, home.family.id),
        TransactionDraft(100, "  Lunch \n with   Eve ", "Dining", APRIL_5),
    )
    assert tx.description == "Lunch with Eve"

"""The demo family: four members, a plan and two months of realistic spending.

Everything is written through the services, so the demo's activity feed and versions are the
same as a real family's. Amounts are minor units (cents).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from .domain.period import local_today, period_bounds
from .services import accounts, families, invitations, transactions
from .services.access import open_family

DEMO_PASSWORD = accounts.DEMO_PASSWORD  # published in the README; only the demo accounts use it
DEMO_TIMEZONE = "America/New_York"
MEMBERS = [  # email, name, role
    ("mom@demo.family", "Mom", "manager"),
    ("dad@demo.family", "Dad", "manager"),
    ("emma@demo.family", "Emma", "member"),
    ("leo@demo.family", "Leo", "member"),
]
FIXED = [
    ("Rent", 185000, "Housing", 1),
    ("Electricity & water", 22000, "Utilities", 12),
    ("Car & home insurance", 18000, "Insurance", 5),
    ("Internet & phones", 9000, "Utilities", 20),
]
VARIABLE = [  # category, descriptions, typical cents, chance per day
    ("Groceries", ["Trader Joe's", "Whole Foods", "Farmers market", "Costco"], (2500, 14000), 0.55),
    ("Dining", ["Lunch", "Pizza night", "Coffee", "Sushi", "Tacos"], (600, 6500), 0.5),
    ("Transport", ["Gas", "Subway card", "Parking", "Uber"], (300, 6000), 0.3),
    ("Household", ["Hardware store", "Cleaning supplies", "Target"], (800, 5000), 0.15),
    ("Fun", ["Movies", "Spotify", "Books", "Bowling", "Video game"], (999, 4500), 0.2),
]


def demo_offered(engine: Engine) -> bool:
    """The sign-in screen offers the demo while the database holds no family yet. Family ids are
    identity values from 1 and families are never deleted, so family 1 exists once any family was made."""
    from .services.activity import family_version

    return family_version(engine, 1) is None


def create_demo(engine: Engine, *, today: date | None = None) -> tuple[int, int]:
    """Create the demo family (or find it) and return (family id, Mom's user id)."""
    existing = accounts.find_user(engine, MEMBERS[0][0])
    if existing is not None:
        mine = [m for m in families.my_families(engine, existing.id) if m.family_name == "The Garcias (demo)"]
        if mine:
            return mine[0].family_id, existing.id
    users = {}
    for email, name, _role in MEMBERS:
        users[name] = accounts.find_user(engine, email) or accounts.insert_user(
            engine, email, name, accounts.HASHER.hash(DEMO_PASSWORD)
        )
    mom = users["Mom"]
    family = families.create_family(
        engine,
        mom.id,
        name="The Garcias (demo)",
        currency="USD",
        timezone=DEMO_TIMEZONE,
        monthly_income=640000,
        savings_goal=80000,
        period_start_day=1,
    )
    moms = open_family(engine, mom.id, family.id)
    for name, amount, _category, _day in FIXED:  # each a bill, due on its day
        families.add_fixed_expense(moms, name, amount, due_day=_day)
    for _email, name, role in MEMBERS[1:]:
        token = invitations.create_invitation(moms, role=role).token
        invitations.redeem_invitation(engine, users[name].id, token)
    today = today or local_today(DEMO_TIMEZONE, datetime.now(UTC))
    _fill_history(engine, family.id, users, today)
    return family.id, mom.id


def _fill_history(engine: Engine, family_id: int, users: dict, today: date) -> None:
    rng = random.Random(2026)
    handles = {name: open_family(engine, user.id, family_id) for name, user in users.items()}
    start, _ = period_bounds(1, today.replace(day=1) - timedelta(days=1))  # the previous period's start
    day = start
    names = list(users)
    while day <= today:

        def add(who: str, cents: int, what: str, category: str, day: date = day) -> None:
            transactions.add_transaction(
                handles[who],
                transactions.TransactionDraft(
                    cents, what, category, day, client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"demo:{day}:{what}:{cents}")
                ),
            )

        if day.day == 1:
            add("Mom", 420000, "Salary", "Salary")
            add("Dad", 220000, "Salary", "Salary")
        if day.day == 2:
            add("Dad", 80000, "Transfer to savings", "Savings")
        for name, amount, category, due in FIXED:
            if day.day == due:
                add("Mom", amount, name, category)
        for category, words, (low, high), chance in VARIABLE:
            if rng.random() < chance:
                add(rng.choice(names), rng.randrange(low, high), rng.choice(words), category)
        day += timedelta(days=1)
    # one refund, so the demo shows how a refund reads
    transactions.add_transaction(
        handles["Emma"],
        transactions.TransactionDraft(
            2500,
            "Returned sneakers",
            "Fun",
            today - timedelta(days=1) if today.day > 1 else today,
            client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-refund:{today}"),
            refund=True,
        ),
    )

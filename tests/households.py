"""The household most tests start from, made through the services as people would.

Imported as ``households`` (pytest puts ``tests/`` on ``sys.path`` for ``tests/conftest.py``); the
``home`` fixture in ``tests/conftest.py`` builds one per test.
"""

from __future__ import annotations

from sqlalchemy import Engine

from budget_core.services import accounts, families, invitations
from budget_core.services.access import open_family

PASSWORD = "correct horse battery"


class Household:
    """A family with a manager (Mom) and a member (Dad), plus an outsider (Eve) in another family."""

    def __init__(self, engine: Engine, owner: Engine):
        self.engine = engine  # the app's (row-level security applies): every service call
        self.owner = owner  # sees every row: for setting the clock back and checking what was stored
        self.mom = accounts.create_user(engine, "mom@example.com", "Mom", PASSWORD)
        self.dad = accounts.create_user(engine, "dad@example.com", "Dad", PASSWORD)
        self.eve = accounts.create_user(engine, "eve@example.com", "Eve", PASSWORD)
        self.family = families.create_family(
            engine,
            self.mom.id,
            name="Smiths",
            currency="USD",
            timezone="America/New_York",
            monthly_income=520000,
            savings_goal=60000,
            period_start_day=1,
        )
        families.add_fixed_expense(open_family(engine, self.mom.id, self.family.id), "Rent", 150000)
        token = invitations.create_invitation(open_family(engine, self.mom.id, self.family.id)).token
        invitations.redeem_invitation(engine, self.dad.id, token)
        self.other = families.create_family(
            engine,
            self.eve.id,
            name="Others",
            currency="EUR",
            timezone="Europe/Berlin",
            monthly_income=300000,
            savings_goal=0,
            period_start_day=15,
        )

    def access(self, user=None, family_id: int | None = None):
        """The family handle of ``user`` (default Mom) in ``family_id`` (default the Smiths)."""
        return open_family(self.engine, (user or self.mom).id, self.family.id if family_id is None else family_id)

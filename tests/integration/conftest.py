"""Helpers that build small families through the services, as a person would."""

from __future__ import annotations

import pytest

from budget_core.services import accounts, families, invitations

PASSWORD = "correct horse battery"


class Household:
    """A family with a manager (Mom) and a member (Dad), plus an outsider (Eve) in another family."""

    def __init__(self, engine):
        self.engine = engine
        self.mom = accounts.create_user(engine, "mom@example.com", "Mom", PASSWORD)
        self.dad = accounts.create_user(engine, "dad@example.com", "Dad", PASSWORD)
        self.eve = accounts.create_user(engine, "eve@example.com", "Eve", PASSWORD)
        self.family = families.create_family(
            engine, self.mom.id, name="Smiths", currency="USD", timezone="America/New_York",
            monthly_income=520000, savings_goal=60000, period_start_day=1)
        families.add_fixed_expense(engine, self.mom.id, self.family.id, "Rent", 150000)
        token = invitations.create_invitation(engine, self.mom.id, self.family.id).token
        invitations.redeem_invitation(engine, self.dad.id, token)
        self.other = families.create_family(
            engine, self.eve.id, name="Others", currency="EUR", timezone="Europe/Berlin",
            monthly_income=300000, savings_goal=0, period_start_day=15)


@pytest.fixture
def home(engine) -> Household:
    return Household(engine)

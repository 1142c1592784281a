"""The database goes away while a family is using the app: entries wait on the server, then arrive once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from budget_core.services import accounts, families, invitations
from budget_core.services.access import open_family

from .conftest import PASSWORD
from .helpers import sidebar, sign_in, tile

pytestmark = pytest.mark.e2e


def test_entries_made_while_the_database_is_down_are_pending_then_arrive_once_for_everyone(
    server, new_page, engine, owner_engine, databases
):
    mom = accounts.create_user(engine, "mom@example.com", "Mom", PASSWORD)
    dad = accounts.create_user(engine, "dad@example.com", "Dad", PASSWORD)
    family = families.create_family(
        engine,
        mom.id,
        name="Smiths",
        currency="USD",
        timezone="America/New_York",
        monthly_income=520000,
        savings_goal=60000,
        period_start_day=1,
    )
    invitations.redeem_invitation(
        engine, dad.id, invitations.create_invitation(open_family(engine, mom.id, family.id)).token
    )
    mom_page, dad_page = new_page(), new_page()
    sign_in(mom_page, server.url, "mom@example.com", PASSWORD)
    sign_in(dad_page, server.url, "dad@example.com", PASSWORD)
    spent_before = tile(mom_page, "fb-spent-today")
    database = engine.url.database

    databases.allow_connections(database, False)
    try:
        bar = sidebar(dad_page)
        bar.get_by_label("Description", exact=True).fill("Taxi home")
        bar.get_by_label("Amount", exact=True).fill("23.40")
        bar.get_by_label("Amount", exact=True).press("Enter")
        expect(dad_page.get_by_text("Offline: new entries are kept on this device")).to_be_visible()
        expect(bar.get_by_text("Waiting to be saved")).to_be_visible()
        expect(bar.get_by_text("Taxi home", exact=False)).to_be_visible()
        expect(bar.get_by_label("Amount", exact=True)).to_have_value("")  # typed, kept, form ready again
    finally:
        databases.allow_connections(database, True)

    # back: the offline page notices within seconds, the entry is delivered, Mom sees it
    expect(sidebar(dad_page).get_by_text("Waiting to be saved")).to_have_count(0, timeout=45_000)
    expect(mom_page.locator('[data-testid="stToast"]').filter(has_text="Dad spent $23.40 on Taxi home")).to_be_visible(
        timeout=20_000
    )
    expect(mom_page.locator('[data-testid="fb-spent-today"]')).not_to_have_text(spent_before)
    with owner_engine.connect() as conn:
        rows = conn.execute(text("SELECT description, amount FROM transactions")).all()
    assert rows == [("Taxi home", 2340)]

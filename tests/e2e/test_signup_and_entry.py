"""A new family signs up and records its first expense; deep links work on a fresh server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from budget_core.db.engine import make_engine
from budget_core.services import accounts, families, transactions
from budget_core.services.access import open_family

from .conftest import PASSWORD
from .helpers import add_expense, sign_in

pytestmark = pytest.mark.e2e


def test_sign_up_create_a_family_and_the_first_sidebar_submit_after_a_fresh_start_is_saved(server, new_page, db_url):
    page = new_page()
    page.goto(server.url)
    page.get_by_role("tab", name="Create your family").click()
    form = page.locator(".st-key-fb_signup")  # not a form: what the plan was read as shows while typing
    form.get_by_label("Your name", exact=True).fill("Alex")
    form.get_by_label("Email", exact=True).fill("alex@example.com")
    form.get_by_label("Password", exact=True).fill("a long secret 42")
    form.get_by_label("Family name", exact=True).fill("The Lees")
    form.get_by_label("Monthly income", exact=True).fill("4200")
    form.get_by_label("Savings goal per period", exact=True).fill("500")
    form.get_by_label("Fixed expenses, one per line", exact=True).fill("Rent 1200")
    form.get_by_label("Fixed expenses, one per line", exact=True).press("Tab")  # a text area is read on leaving it
    # what the plan was read as, before anything is saved
    preview = page.locator(".st-key-fb_plan_preview")
    expect(preview).to_contain_text("fixed expenses $1,200.00 (Rent $1,200.00)")
    expect(preview.locator("strong")).to_have_count(1)  # the everyday figure in bold, no markup shown as text
    expect(preview).not_to_contain_text("*")
    expect(preview).to_contain_text(re.compile(r"= \$[\d,]+\.\d\d a period for everyday spending"))
    form.get_by_role("button", name="Create our family").click()
    # the same answer whether the address is new or taken (no account oracle): then sign in
    expect(page.get_by_text("is new here, your account is ready")).to_be_visible()
    signin = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Sign in"))
    expect(signin.get_by_label("Email", exact=True)).to_have_value("alex@example.com")
    signin.get_by_label("Password", exact=True).fill("a long secret 42")
    signin.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Left today", exact=True)).to_be_visible()
    assert page.locator('[data-testid="fb-spent-today"]').inner_text() == "$0.00"

    add_expense(page, "15,50", "Lunch")

    expect(page.locator('[data-testid="fb-spent-today"]')).to_contain_text("$15.50")
    engine = make_engine(db_url, pool_size=1)
    try:
        user = accounts.find_user(engine, "alex@example.com")
        family_id = families.my_families(engine, user.id)[0].family_id
        stored = transactions.list_transactions(open_family(engine, user.id, family_id))
        assert [(t.description, t.amount) for t in stored] == [("Lunch", 1550)]
    finally:
        engine.dispose()


def test_a_deep_link_to_transactions_on_a_fresh_server_signs_in_and_works(server, new_page, engine):
    mom = accounts.create_user(engine, "mom@example.com", "Mom", PASSWORD)
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
    page = new_page(390, 844)
    sign_in(page, server.url, "mom@example.com", PASSWORD, path="/Transactions")
    expect(page.get_by_role("heading", name="Transactions")).to_be_visible()
    assert page.url.rstrip("/").endswith("/Transactions")
    page.locator(
        '[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
    ).first.click()
    add_expense(page, "9", "Bus ticket")
    expect(page.locator('[data-testid="fb-transactions"]')).to_contain_text("Bus ticket")
    assert [t.amount for t in transactions.list_transactions(open_family(engine, mom.id, family.id))] == [900]

"""Two people in two browsers: an invitation, live updates, editing, deleting and a conflict."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from budget_core.services import accounts, families, transactions
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionDraft

from .conftest import PASSWORD
from .helpers import add_expense, sidebar, sign_in, wait_idle

pytestmark = pytest.mark.e2e


@pytest.fixture
def smiths(engine):
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
    return engine, mom, family


def _go(page, link: str) -> None:
    sidebar(page).get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", name=link)).to_be_visible()


def test_an_invited_member_joins_from_another_browser_and_both_see_each_others_expenses(server, new_page, smiths):
    engine, mom, family = smiths
    mom_page = new_page()
    sign_in(mom_page, server.url, "mom@example.com", PASSWORD)
    _go(mom_page, "Family")
    mom_page.get_by_role("button", name="Create invitation link").click()
    link = mom_page.locator('[data-testid="stCode"] code').inner_text().strip()
    assert link.startswith(server.url + "/?invite=")
    _go(mom_page, "Today")

    dad_page = new_page(390, 844)
    dad_page.goto(link)
    expect(dad_page.get_by_text("You're invited to join Smiths as a member.")).to_be_visible()
    form = dad_page.locator('[data-testid="stForm"]').filter(has_text="Your name")
    form.get_by_label("Your name", exact=True).fill("Dad")
    form.get_by_label("Email", exact=True).fill("dad@example.com")
    form.get_by_label("Password", exact=True).fill("dad's long password")
    form.get_by_role("button", name="Create my account and join").click()
    # the same answer whether the address is new or taken (no account oracle): then sign in
    signin = dad_page.locator('[data-testid="stForm"]').filter(has=dad_page.get_by_role("button", name="Sign in"))
    expect(signin.get_by_label("Email", exact=True)).to_have_value("dad@example.com")
    signin.get_by_label("Password", exact=True).fill("dad's long password")
    signin.get_by_role("button", name="Sign in").click()
    expect(dad_page.get_by_text("Left today", exact=True)).to_be_visible()
    add_expense(dad_page, "42", "Groceries run")  # on a phone: Today's own form, the drawer stays shut

    # Mom's open Today page learns about it from the change poller, without her doing anything.
    expect(
        mom_page.locator('[data-testid="stToast"]').filter(has_text="Dad spent $42.00 on Groceries run")
    ).to_be_visible(timeout=5_000)
    expect(mom_page.locator('[data-testid="fb-spent-today"]')).to_contain_text("$42.00")
    dad = accounts.find_user(engine, "dad@example.com")
    assert [m.role for m in families.my_families(engine, dad.id)] == ["member"]


def test_add_edit_and_delete_expenses_and_the_figures_follow(server, new_page, smiths):
    engine, mom, family = smiths
    page = new_page()
    sign_in(page, server.url, "mom@example.com", PASSWORD)
    expect(sidebar(page).get_by_label("Amount", exact=True)).to_be_focused()  # ready to type at once
    add_expense(page, "20", "Pizza", "Dining")
    expect(sidebar(page).get_by_label("Amount", exact=True)).to_be_focused()  # and again after a save
    add_expense(page, "5.50", "Coffee", "Dining")
    expect(page.locator('[data-testid="fb-spent-today"]')).to_contain_text("$25.50")

    _go(page, "Transactions")
    page.get_by_role("combobox", name="Edit or delete").click()  # pick Pizza
    page.get_by_role("option", name=re.compile("Pizza")).click()
    form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Save changes"))
    form.get_by_label("Amount", exact=True).fill("18")
    form.get_by_role("button", name="Save changes").click()
    expect(page.locator('[data-testid="fb-transactions"]')).to_contain_text("$18.00")

    page.get_by_role("combobox", name="Edit or delete").click()
    page.get_by_role("option", name=re.compile("Coffee")).click()
    page.get_by_role("button", name="Delete this transaction").click()
    expect(page.locator('[data-testid="fb-transactions"]')).not_to_contain_text("Coffee")

    _go(page, "Today")
    expect(page.locator('[data-testid="fb-spent-today"]')).to_contain_text("$18.00")
    assert [
        (t.description, t.amount) for t in transactions.list_transactions(open_family(engine, mom.id, family.id))
    ] == [("Pizza", 1800)]


def test_a_conflict_between_two_browsers_shows_both_versions_and_keep_mine_wins(server, new_page, smiths):
    engine, mom, family = smiths
    tx = transactions.add_transaction(open_family(engine, mom.id, family.id), TransactionDraft(1250, "Pizza", "Dining"))
    first, second = new_page(), new_page()
    for page in (first, second):
        sign_in(page, server.url, "mom@example.com", PASSWORD)
        _go(page, "Transactions")
        page.get_by_role("combobox", name="Edit or delete").click()
        page.get_by_role("option", name=re.compile("Pizza")).click()

    def save(page, amount):
        form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Save changes"))
        form.get_by_label("Amount", exact=True).fill(amount)
        form.get_by_role("button", name="Save changes").click()

    save(first, "20")
    expect(first.locator('[data-testid="fb-transactions"]')).to_contain_text("$20.00")
    save(second, "13")
    expect(second.get_by_text("changed this transaction while you were editing it")).to_be_visible()
    expect(second.locator('[data-testid="fb-mine"]')).to_contain_text("$13.00")
    expect(second.locator('[data-testid="fb-theirs"]')).to_contain_text("$20.00")
    assert (
        transactions.get_transaction(open_family(engine, mom.id, family.id), tx.id).amount == 2000
    )  # nothing overwritten
    if os.environ.get("BUDGET_SCREENSHOTS"):
        second.screenshot(path=os.path.join(os.environ["BUDGET_SCREENSHOTS"], "conflict-1280.png"))
    wait_idle(second)
    second.get_by_role("button", name="Keep mine").click()
    wait_idle(second)  # until the run ends, the table of the run before is still on the page beside the new one
    expect(second.locator('[data-testid="fb-transactions"]')).to_contain_text("$13.00", timeout=15_000)
    assert transactions.get_transaction(open_family(engine, mom.id, family.id), tx.id).amount == 1300
    expect(first.locator('[data-testid="fb-transactions"]')).to_contain_text("$13.00", timeout=5_000)

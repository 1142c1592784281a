"""Today on a phone and on a laptop, in Chromium, on one server for the whole module: the headline
after spending, one-tap entry at 390×844, the over-income question, undo of a delete, a conflict
kept as both changes, a EUR family's money, and Today's and Insights' charts drawn with marks. ``BUDGET_SCREENSHOTS=<dir>`` also saves
Today and Insights at 390 and 1280 px, light and dark."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from budget_app.server_process import AppServer
from budget_core.db.engine import make_app_engine
from budget_core.services import accounts, families, invitations, transactions
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionChanges, TransactionDraft

from .conftest import PASSWORD
from .helpers import sidebar, wait_idle

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site(databases, tmp_path_factory):
    """One database and one server for the module: a USD family (Smiths) and a EUR one (Müllers)."""
    name = databases.create()
    url = databases.url(name)
    engine = make_app_engine(url, pool_size=2, max_overflow=2)
    made = {}
    for email, who, fam, currency, tz in (
        ("mom@example.com", "Mom", "Smiths", "USD", "America/New_York"),
        ("anna@example.de", "Anna", "Müllers", "EUR", "Europe/Berlin"),
    ):
        user = accounts.create_user(engine, email, who, PASSWORD)
        family = families.create_family(
            engine,
            user.id,
            name=fam,
            currency=currency,
            timezone=tz,
            monthly_income=520000,
            savings_goal=60000,
            period_start_day=1,
        )
        made[fam] = (user, family)
    server = AppServer(url, tmp_path_factory.mktemp("phone-today"))
    yield server, engine, made
    server.stop()
    engine.dispose()
    databases.drop(name)
    assert "Traceback" not in server.output(), server.output()[-4000:]


def _sign_in(page, base: str, email: str) -> None:
    page.goto(base)
    form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Sign in"))
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator('[data-testid="fb-allowance"]')).to_be_visible()
    wait_idle(page)


def _phone_form(page):
    return page.locator(".st-key-fb_phone_entry")


def _phone_add(page, amount: str, description: str) -> None:
    form = _phone_form(page)
    form.get_by_label("Description", exact=True).fill(description)
    box = form.get_by_label("Amount", exact=True)
    box.fill(amount)
    box.press("Enter")


COLOURED = """c => {
  if (c.tagName.toLowerCase() !== 'canvas') return c.querySelectorAll('path, rect, line').length * 100;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    const hi = Math.max(d[i], d[i + 1], d[i + 2]), lo = Math.min(d[i], d[i + 1], d[i + 2]);
    if (d[i + 3] > 128 && hi - lo > 60) n++;  // a saturated colour: a mark, not grey text or grid
  }
  return n;
}"""


def _coloured_pixels(canvas) -> int:
    return canvas.evaluate(COLOURED)


def _assert_charts_drawn(page, count: int, where: tuple) -> None:
    """Exactly ``count`` charts on the page, each at least 150 px tall with coloured marks drawn."""
    charts = page.locator('[class*="st-key-fb_chart_"]')
    expect(charts).to_have_count(count)
    for i in range(count):
        canvas = charts.nth(i).locator("canvas, svg.marks").first
        expect(canvas).to_be_visible()
        box = canvas.bounding_box() or (page.wait_for_timeout(500) or canvas.bounding_box())  # a redraw
        height = box["height"] if box else 0
        assert height >= 150, (*where, i, height)
        assert _coloured_pixels(canvas) > 40, (*where, i)  # bars, lines or points drawn


def test_on_a_phone_the_entry_form_is_on_today_and_save_fits_the_screen(site, new_page):
    server, engine, made = site
    page = new_page(390, 844)
    _sign_in(page, server.url, "mom@example.com")
    expect(sidebar(page)).not_to_be_in_viewport()  # the drawer stays shut
    form = _phone_form(page)
    expect(form.get_by_label("Amount", exact=True)).to_be_visible()
    save = form.get_by_role("button", name="Save")
    box = save.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844 and box["x"] + box["width"] <= 390, box
    if os.environ.get("BUDGET_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["BUDGET_SCREENSHOTS"]) / "today-phone-viewport.png"))


def test_the_headline_after_spending_is_what_is_left_today(site, new_page):
    server, engine, made = site
    user, family = made["Smiths"]
    page = new_page(390, 844)
    _sign_in(page, server.url, "mom@example.com")
    before = page.locator('[data-testid="fb-allowance-today"]').inner_text()
    _phone_add(page, "46", "Groceries")
    expect(page.locator('[data-testid="stToast"]').filter(has_text="Groceries")).to_be_visible()
    expect(page.locator('[data-testid="fb-spent-today"]')).to_contain_text("$46.00")
    access = open_family(engine, user.id, family.id)
    from budget_core.services import budgets

    b = budgets.daily_budget(access).budget
    from budget_core.domain.money import format_money

    hero = page.locator('[data-testid="fb-allowance"]')
    shown = format_money(b.over_by if b.over_by else b.left_today, "USD")
    expect(hero.locator(".fb-hero-label")).to_have_text("Over by" if b.over_by else "Left today")
    expect(page.locator('[data-testid="fb-left-today"]')).to_have_text(shown)
    assert hero.inner_text().count(before) == 1  # today's allowance once, in the small print
    big = page.locator('[data-testid="fb-left-today"]').evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    small = page.locator('[data-testid="fb-spent-today"]').evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert big > 1.5 * small


def test_an_amount_above_the_monthly_income_asks_before_saving(site, new_page):
    server, engine, made = site
    user, family = made["Smiths"]
    page = new_page(1280, 900)
    _sign_in(page, server.url, "mom@example.com")
    bar = sidebar(page)
    bar.get_by_label("Description", exact=True).fill("Typo")
    bar.get_by_label("Amount", exact=True).fill("9,999,999")
    bar.get_by_label("Amount", exact=True).press("Enter")
    expect(page.get_by_text("Is $9,999,999.00 right?")).to_be_visible()
    access = open_family(engine, user.id, family.id)
    assert "Typo" not in [t.description for t in transactions.list_transactions(access)]  # nothing saved yet
    page.get_by_role("button", name="No, let me fix it").first.click()
    expect(page.get_by_text("Is $9,999,999.00 right?")).to_have_count(0)
    assert "Typo" not in [t.description for t in transactions.list_transactions(access)]


def test_a_delete_is_undone_from_its_toast(site, new_page):
    server, engine, made = site
    user, family = made["Smiths"]
    access = open_family(engine, user.id, family.id)
    transactions.add_transaction(access, TransactionDraft(1250, "Pizza to undo", "Dining"))
    page = new_page(1280, 900)
    _sign_in(page, server.url, "mom@example.com")
    sidebar(page).get_by_role("link", name="Transactions", exact=True).click()
    expect(page.get_by_role("heading", name="Transactions")).to_be_visible()
    page.get_by_role("combobox", name="Edit or delete").click()
    page.get_by_role("option", name="Pizza to undo", exact=False).first.click()
    page.get_by_role("button", name="Delete this transaction").click()
    expect(page.locator('[data-testid="fb-undo-text"]')).to_contain_text("Pizza to undo")
    assert "Pizza to undo" not in [t.description for t in transactions.list_transactions(access)]
    page.get_by_role("button", name="Undo", exact=True).click()  # not the row "Pizza to undo" still listed
    expect(page.locator('[data-testid="fb-transactions"]')).to_contain_text("Pizza to undo")
    assert "Pizza to undo" in [t.description for t in transactions.list_transactions(access)]


def test_a_conflict_on_different_fields_is_kept_as_both_changes_naming_the_other_member(site, new_page):
    server, engine, _made = site
    jo = accounts.create_user(engine, "jo@example.com", "Jo", PASSWORD)
    family = families.create_family(
        engine,
        jo.id,
        name="Joneses",
        currency="USD",
        timezone="UTC",
        monthly_income=400000,
        savings_goal=0,
        period_start_day=1,
    )
    sam = accounts.create_user(engine, "sam@example.com", "Sam", PASSWORD)
    jos = open_family(engine, jo.id, family.id)
    invitations.redeem_invitation(engine, sam.id, invitations.create_invitation(jos).token)
    tx = transactions.add_transaction(jos, TransactionDraft(1250, "Pizza", "Dining"))
    page = new_page(1280, 900)
    _sign_in(page, server.url, "jo@example.com")
    sidebar(page).get_by_role("link", name="Transactions", exact=True).click()
    page.locator(f'[data-fb-edit="{tx.id}"]').click()  # opened from the table itself
    editor = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Save changes"))
    amount = editor.get_by_label("Amount", exact=True)
    expect(amount).to_have_value("12.50")
    amount.fill("13")
    # meanwhile Sam renames it
    sams = open_family(engine, sam.id, family.id)
    transactions.edit_transaction(
        sams, tx.id, tx.row_version, TransactionChanges(1250, "Pizza night", "Dining", tx.occurred_on)
    )
    editor.get_by_role("button", name="Save changes").click()
    warning = page.locator('[data-testid="stAlert"]').filter(has_text="Sam changed")
    expect(warning.first).to_be_visible()
    assert "version" not in page.locator('[data-testid="stMain"]').inner_text().lower()
    page.get_by_role("button", name="Keep both changes").click()
    table = page.locator('[data-testid="fb-transactions"]')
    expect(table).to_contain_text("$13.00")  # Jo's amount, with Sam's name for it
    expect(table).to_contain_text("Pizza night")
    stored = transactions.get_transaction(jos, tx.id)
    assert (stored.amount, stored.description) == (1300, "Pizza night")


def test_a_euro_family_sees_its_money_written_the_german_way(site, new_page):
    server, engine, made = site
    user, family = made["Müllers"]
    transactions.add_transaction(
        open_family(engine, user.id, family.id), TransactionDraft(9012, "Einkauf", "Groceries")
    )
    page = new_page(1280, 900)
    _sign_in(page, server.url, "anna@example.de")
    expect(page.locator('[data-testid="fb-spent-today"]')).to_have_text("90,12\u00a0€")
    # Insights' day axis (German month names through a Vega label expression) and period labels draw
    sidebar(page).get_by_role("link", name="Insights", exact=True).click()
    expect(page.get_by_role("heading", name="Insights")).to_be_visible()
    for section in ("This period", "Month by month"):
        page.locator('[data-testid="stButtonGroup"]').get_by_text(section, exact=True).click()
        wait_idle(page)
        _assert_charts_drawn(page, 2, ("de_DE", section))
        if os.environ.get("BUDGET_SCREENSHOTS"):
            page.wait_for_timeout(600)
            page.screenshot(path=str(Path(os.environ["BUDGET_SCREENSHOTS"]) / f"insights-de-{section}.png"))


def test_insights_charts_are_drawn_tall_enough_with_their_marks_at_both_widths(site, new_page):
    server, engine, made = site
    user, family = made["Smiths"]
    transactions.add_transaction(open_family(engine, user.id, family.id), TransactionDraft(3300, "Cinema", "Fun"))
    shots = os.environ.get("BUDGET_SCREENSHOTS")
    for width in (390, 1280):
        for scheme in ("light", "dark"):
            page = new_page(width, 2000)  # tall: every chart in view, no scrolling
            page.emulate_media(color_scheme=scheme)
            _sign_in(page, server.url, "mom@example.com")
            if shots:
                page.wait_for_timeout(800)
                page.screenshot(path=str(Path(shots) / f"today-{width}-{scheme}.png"), full_page=True)
            _assert_charts_drawn(page, 2, (width, scheme, "Today"))
            if width < 640:
                page.locator('[data-testid="stExpandSidebarButton"]').first.click()
            sidebar(page).get_by_role("link", name="Insights", exact=True).click()
            expect(page.get_by_role("heading", name="Insights")).to_be_visible()
            for section, count in (
                ("This period", 2),
                ("Categories", 1),
                ("Members", 1),
                ("Month by month", 2),
                ("Habits", 2),
            ):
                page.locator('[data-testid="stButtonGroup"]').get_by_text(section, exact=True).click()
                wait_idle(page)
                _assert_charts_drawn(page, count, (width, scheme, section))  # none left from the last section
                if shots and scheme == "light" or shots and section == "This period":
                    page.wait_for_timeout(600)
                    page.screenshot(path=str(Path(shots) / f"insights-{section}-{width}-{scheme}.png"), full_page=True)
            page.context.close()

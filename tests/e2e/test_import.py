"""The Import page in a real browser: upload a bank file, read the preview, import, re-import, a bad file.

AppTest cannot drive ``st.file_uploader``; Playwright sets the file on the real upload input.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from budget_core.services import accounts, families, transactions
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionDraft

from .conftest import PASSWORD
from .helpers import sidebar, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def smiths(engine, owner_engine):
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
    return engine, owner_engine, mom, family


def _stored(owner_engine, family_id: int) -> list[tuple[int, str]]:
    with owner_engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT amount, description FROM transactions WHERE family_id = :f ORDER BY amount, description"),
                {"f": family_id},
            )
        ]


def _upload(page, name: str, content: str) -> None:
    uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    expect(uploader).to_have_count(1, timeout=30_000)  # the last import's run has replaced the old one
    uploader.set_input_files(files=[{"name": name, "mimeType": "text/csv", "buffer": content.encode()}])


def test_a_bank_file_is_previewed_imported_linked_to_a_typed_expense_and_not_imported_twice(server, new_page, smiths):
    engine, owner, mom, family = smiths
    today = datetime.now(ZoneInfo("America/New_York")).date()
    transactions.add_transaction(
        open_family(engine, mom.id, family.id), TransactionDraft(4210, "Corner grocer", "Groceries", today)
    )
    bank_file = (
        "Date,Description,Amount\n"
        f"{today},CORNER GROCER #12,-42.10\n"
        f"{today},CITY PARKING,-6.50\n"
        f"{today - timedelta(days=1)},BAKERY ROSE,-3.20\n"
    )
    page = new_page()
    sign_in(page, server.url, "mom@example.com", PASSWORD)
    sidebar(page).get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import a bank file")).to_be_visible()

    _upload(page, "checking.csv", bank_file)
    # the file is read off the page's thread, in a child process: allow for a busy machine
    expect(page.get_by_text("2 new · 0 already imported · 1 linked to expenses typed by hand")).to_be_visible(
        timeout=30_000
    )
    page.get_by_role("button", name="Import: add 2, link 1").click()
    expect(
        page.locator('[data-testid="stToast"]').filter(has_text="checking.csv: added 2, 0 duplicates, 1 linked")
    ).to_be_visible(timeout=30_000)
    expect(page.get_by_text("= Mom's 'Corner grocer'", exact=False)).to_be_visible()  # the link, for review
    assert _stored(owner, family.id) == [(320, "BAKERY ROSE"), (650, "CITY PARKING"), (4210, "Corner grocer")]

    _upload(page, "checking.csv", bank_file)  # the same file again
    expect(page.get_by_text("0 new · 3 already imported · 0 linked to expenses typed by hand")).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_role("button", name="Import: add 0, link 0")).to_be_disabled()
    assert len(_stored(owner, family.id)) == 3


def test_a_file_that_is_not_a_bank_statement_gets_a_message_and_nothing_is_stored(server, new_page, smiths):
    engine, owner, mom, family = smiths
    page = new_page()
    sign_in(page, server.url, "mom@example.com", PASSWORD)
    sidebar(page).get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import a bank file")).to_be_visible()

    _upload(page, "notes.csv", "Dear diary,\ntoday was a good day\nno numbers here\n")
    error = page.locator('[data-testid="stAlert"]').filter(has_text="Is this a bank statement exported as CSV?")
    expect(error).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Import: add", exact=False)).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)
    assert _stored(owner, family.id) == []

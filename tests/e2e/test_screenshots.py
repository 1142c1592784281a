"""Screenshots of every page at phone and laptop width, for a person to look at.

Skipped unless ``BUDGET_SCREENSHOTS`` names a folder: ``BUDGET_SCREENSHOTS=/tmp/shots python -m
pytest tests/e2e/test_screenshots.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from budget_core.demo import DEMO_PASSWORD, create_demo

from .helpers import sidebar, sign_in, wait_idle

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.environ.get("BUDGET_SCREENSHOTS"), reason="set BUDGET_SCREENSHOTS=<dir>"),
]

PAGES = [
    ("today", "Today"),
    ("transactions", "Transactions"),
    ("activity", "Activity"),
    ("plan", "Plan & categories"),
    ("family", "Family"),
    ("import", "Import"),
    ("insights", "Insights"),
    ("health", "Health"),
    ("account", "Your account"),
]
SCHEMES = ["light", "dark"]  # the app follows the device's prefers-color-scheme


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width, height", [(390, 2400), (1280, 1700)])
def test_screenshots_of_every_page(server, new_page, engine, width, height, scheme):
    out = Path(os.environ["BUDGET_SCREENSHOTS"]) / scheme
    out.mkdir(parents=True, exist_ok=True)
    page = new_page(width, height, scheme)
    page.goto(server.url)
    page.get_by_role("tab", name="Sign in").wait_for()
    wait_idle(page)
    page.screenshot(path=str(out / f"signed-out-{width}.png"), full_page=True)
    page.get_by_role("tab", name="Create your family").click()
    page.wait_for_timeout(300)
    page.screenshot(path=str(out / f"create-family-{width}.png"), full_page=True)
    create_demo(engine)
    sign_in(page, server.url, "mom@demo.family", DEMO_PASSWORD)
    for name, link in PAGES:  # a page load would start a new session, so follow the sidebar links
        expand = page.locator('[data-testid="stExpandSidebarButton"]')
        if expand.count() and expand.first.is_visible():
            expand.first.click()
        sidebar(page).get_by_role("link", name=link, exact=True).click()
        if width < 640:  # on a phone the drawer closes itself after a page link
            expect(page.locator('[data-testid="stExpandSidebarButton"]').first).to_be_visible()
        page.wait_for_selector("h2")
        wait_idle(page)
        page.wait_for_timeout(800)
        page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True)
        if name == "today" and width == 390:
            page.locator('[data-testid="stExpandSidebarButton"]').first.click()
            page.wait_for_timeout(500)
            page.screenshot(path=str(out / f"sidebar-{width}.png"))
            page.locator('[data-testid="stSidebarCollapseButton"]').first.click()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width, height", [(390, 2600), (1280, 1900)])
def test_screenshots_of_plan_and_import_with_bills_schedules_targets_and_a_preview(
    server, new_page, engine, width, height, scheme
):
    """Plan and Import with bills, schedules, targets and an import preview, in both colour schemes."""
    from datetime import timedelta

    from budget_core.importers.service import import_file
    from budget_core.services import families, schedules, targets
    from budget_core.services.access import open_family

    out = Path(os.environ["BUDGET_SCREENSHOTS"]) / scheme
    out.mkdir(parents=True, exist_ok=True)
    family_id, mom_id = create_demo(engine)
    mom = open_family(engine, mom_id, family_id)
    today = mom.today()
    if not schedules.list_schedules(mom):
        schedules.add_schedule(mom, schedules.ScheduleDraft(1000, "Pocket money Leo", "Fun", "week", day=5))
        schedules.add_schedule(mom, schedules.ScheduleDraft(1299, "Streaming", "Fun", "month", day=28))
        targets.set_target(mom, "Dining", 40000)
        families.set_carry_over(mom, True)
        yesterday = today - timedelta(days=1)
        import_file(
            mom,
            "checking-dec.csv",
            f"Date,Description,Amount\n{yesterday},ZQX HOLDINGS 4471,-20.00\n{yesterday},SQ *BLUE BOTTLE COFFEE,-6.50\n".encode(),
        )
    page = new_page(width, height, scheme)
    sign_in(page, server.url, "mom@demo.family", DEMO_PASSWORD)
    page.wait_for_timeout(800)
    page.screenshot(path=str(out / f"today-notes-{width}.png"), full_page=True)
    for name, link in (("plan", "Plan & categories"), ("import", "Import")):
        expand = page.locator('[data-testid="stExpandSidebarButton"]')
        if expand.count() and expand.first.is_visible():
            expand.first.click()
        sidebar(page).get_by_role("link", name=link, exact=True).click()
        if width < 640:  # on a phone the drawer closes itself after a page link
            expect(page.locator('[data-testid="stExpandSidebarButton"]').first).to_be_visible()
        page.wait_for_selector("h2")
        wait_idle(page)
        if name == "import":
            statement = (
                "Date,Description,Amount\n"
                f"{today - timedelta(days=2)},WHOLEFDS MKT #10234 AUSTIN TX,-84.12\n"
                f"{today - timedelta(days=2)},REFUND AMAZON.COM,12.00\n"
                f"{today - timedelta(days=3)},PGANDE WEB ONLINE,-112.40\n"
                f"{today - timedelta(days=3)},NETFLIX.COM,-15.49\n"
                f"{today - timedelta(days=4)},ACME CORP PAYROLL,2600.00\n"
                f"{today - timedelta(days=4)},ZELLE TO J SMITH,-40.00\n"
            )
            page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
                files=[{"name": "checking.csv", "mimeType": "text/csv", "buffer": statement.encode()}]
            )
            page.wait_for_selector('[data-testid="fb-import-rows"]')
            wait_idle(page)
        page.wait_for_timeout(800)
        page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True)

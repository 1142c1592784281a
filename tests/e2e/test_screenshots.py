"""Screenshots of every page at phone and laptop width, for a person to look at.

Skipped unless ``BUDGET_SCREENSHOTS`` names a folder: ``BUDGET_SCREENSHOTS=/tmp/shots python -m
pytest tests/e2e/test_screenshots.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
]


@pytest.mark.parametrize("width, height", [(390, 2400), (1280, 1700)])
def test_screenshots_of_every_page(server, new_page, engine, width, height):
    out = Path(os.environ["BUDGET_SCREENSHOTS"])
    out.mkdir(parents=True, exist_ok=True)
    page = new_page(width, height)
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
        if width < 640 and not expand.first.is_visible():
            page.locator('[data-testid="stSidebarCollapseButton"]').first.click()
        page.wait_for_selector("h2")
        wait_idle(page)
        page.wait_for_timeout(800)
        page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True)
        if name == "today" and width == 390:
            page.locator('[data-testid="stExpandSidebarButton"]').first.click()
            page.wait_for_timeout(500)
            page.screenshot(path=str(out / f"sidebar-{width}.png"))
            page.locator('[data-testid="stSidebarCollapseButton"]').first.click()

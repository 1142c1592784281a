"""Steps a person takes in the browser, written once for the end-to-end tests."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect


def sidebar(page: Page):
    return page.locator('[data-testid="stSidebar"]')


def _phone(page: Page) -> bool:
    viewport = page.viewport_size
    return viewport is not None and viewport["width"] <= 640  # the stylesheet's phone width


def entry_form(page: Page):
    """Where the quick-entry form is in view: the sidebar on a wide screen; on a phone, Today's own
    form (the stylesheet shows it below 640 px), and on other pages the sidebar's (open the drawer)."""
    phone_form = page.locator(".st-key-fb_phone_entry")
    if _phone(page) and phone_form.count():
        return phone_form
    return sidebar(page)


def wait_idle(page: Page) -> None:
    """Wait until Streamlit is not running the script."""
    page.wait_for_timeout(150)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=15_000)


def sign_in(page: Page, base: str, email: str, password: str, path: str = "/", *, keep: bool = True) -> None:
    page.goto(base + path)
    form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Sign in"))
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_label("Password", exact=True).fill(password)
    if not keep:
        form.get_by_text("Keep me signed in on this device").click()
    form.get_by_role("button", name="Sign in").click()
    if _phone(page):  # the drawer is shut; only Today has a form of its own
        expect(sidebar(page).get_by_label("Amount", exact=True)).to_be_attached()
    else:
        expect(sidebar(page).get_by_label("Amount", exact=True)).to_be_visible()
    device_cookie(page)  # the browser remembers the sign-in: a reload or a new tab stays signed in


def device_cookie(page: Page, *, present: bool = True, timeout_s: float = 15) -> dict | None:
    """The browser's device cookie once the page has had it set (or cleared, with ``present=False``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = next((c for c in page.context.cookies() if c["name"] == "fb_device"), None)
        if (found is not None) == present or time.monotonic() > deadline:
            assert (found is not None) == present, f"device cookie {'never set' if present else 'still there'}"
            return found
        page.wait_for_timeout(100)


def add_expense(page: Page, amount: str, description: str, category: str | None = None) -> None:
    bar = entry_form(page)
    if category:
        bar.get_by_label("Category", exact=True).click()  # open the selectbox
        page.get_by_role("option", name=category, exact=True).click()
    bar.get_by_label("Description", exact=True).fill(description)
    amount_box = bar.get_by_label("Amount", exact=True)
    amount_box.fill(amount)
    amount_box.press("Enter")
    expect(page.locator('[data-testid="stToast"]').filter(has_text=re.compile(re.escape(description)))).to_be_visible()
    expect(bar.get_by_label("Amount", exact=True)).to_have_count(1)  # the old form generation is gone
    expect(bar.get_by_label("Amount", exact=True)).to_have_value("")

"""No signal, nothing lost: the installed app's offline entry form in a real Chromium (service worker,
IndexedDB), delivered exactly once when the connection returns — across a reload and a server restart."""

from __future__ import annotations

import re

import pytest
from households import PASSWORD, Household
from playwright.sync_api import expect
from sqlalchemy import text

from budget_app.server_process import AppServer
from budget_core.db.engine import make_app_engine, make_engine
from budget_core.services import accounts, categories, families

from .helpers import sign_in

pytestmark = pytest.mark.e2e

POST = """([path, body]) => fetch(path, {method: "POST", credentials: "same-origin",
  headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
  .then(r => r.json().then(j => [r.status, j]))"""


@pytest.fixture(scope="module")
def world(databases):
    name = databases.create()
    url = databases.url(name)
    app, owner = make_app_engine(url, pool_size=2), make_engine(url, pool_size=2)
    yield Household(app, owner), url
    app.dispose()
    owner.dispose()
    databases.drop(name)


def _rows(home) -> dict[str, tuple[int, str, str]]:
    with home.owner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT t.description, count(*) OVER (PARTITION BY t.client_id) AS n, t.client_id::text, "
                "t.occurred_on::text FROM transactions t WHERE t.user_id = :u"
            ),
            {"u": home.dad.id},
        ).all()
    return {r.description: (r.n, r.client_id, r.occurred_on) for r in rows}


def _type(page, amount: str, description: str, category: str, day: str | None = None) -> None:
    page.get_by_label(re.compile(r"^Amount")).fill(amount)
    page.get_by_label("Description").fill(description)
    page.get_by_label("Category").select_option(label=category)
    if day:
        page.get_by_label("Date").fill(day)
    page.get_by_role("button", name="Save on this device").click()
    expect(page.locator("#fb-waiting li").filter(has_text=description)).to_be_visible()


def _shell_knows_the_family(page) -> None:
    """The page installed the shell and told it the family's categories (what the offline form offers)."""
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    for _ in range(100):
        known = page.evaluate("FBOutbox.getMeta('me').then(m => m && m.families[0].categories.length)")
        if known:
            break
        page.wait_for_timeout(100)
    assert known, page.evaluate("Promise.all([FBOutbox.getMeta('me'), fetch('/api/v1/me').then(r => r.text())])")


def test_expenses_typed_offline_survive_a_reload_and_a_restart_and_arrive_once(world, new_page, tmp_path):
    home, url = world
    garden = categories.add_category(home.access(), "Garden", "variable")
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    server = AppServer(url, tmp_path / "first")
    try:
        page = new_page(390, 844)
        sign_in(page, server.url, "dad@example.com", PASSWORD)
        # the page installed the shell and told it the family's categories
        _shell_knows_the_family(page)

        page.context.set_offline(True)
        page.reload()  # no connection: the service worker answers with the offline form
        expect(page.get_by_label("Amount (USD)")).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text("Offline")
        yesterday = page.evaluate(
            "new Date(Date.now() - 864e5 - new Date().getTimezoneOffset() * 6e4).toISOString().slice(0, 10)"
        )
        _type(page, "12.50", "Bread", "Groceries")
        _type(page, "7", "Seeds", "Garden")
        _type(page, "4,80", "Bus", "Transport", yesterday)
        categories.archive_category(home.access(), garden.id)  # meanwhile, Mom archives Garden

        phone = page.context
        page.close()  # close the app and open it again, still offline
        page = phone.new_page()
        page.goto(server.url + "/")
        expect(page.get_by_role("heading", name="Waiting to be sent (3)")).to_be_visible()
        assert _rows(home) == {}
    finally:
        port = server.port
        server.stop()
    assert "Traceback" not in server.output()

    server = AppServer(url, tmp_path / "second", port=port)  # the server restarted while the phone had no signal
    try:
        page.context.set_offline(False)  # the online event sends what waits
        failed = page.locator('#fb-waiting li[data-state="failed"]')
        expect(failed).to_have_count(1)
        expect(page.locator("#fb-waiting li")).to_have_count(1)
        expect(failed).to_contain_text("Seeds")
        expect(failed).to_contain_text("Not accepted: The category 'Garden' is archived; choose another one.")
        expect(page.get_by_role("status")).to_contain_text("2 entries sent.")
        rows = _rows(home)
        assert {d: r[0] for d, r in rows.items()} == {"Bread": 1, "Bus": 1}  # delivered once each
        assert rows["Bus"][2] == yesterday  # with the date it was typed for

        # the acknowledgement was lost: the same entry posted again is stored once
        body = {"client_id": rows["Bread"][1], "amount": "12.50", "description": "Bread", "category": "Groceries"}
        status, answer = page.evaluate(POST, [f"/api/v1/families/{home.family.id}/transactions", body])
        assert (status, answer["replayed"]) == (200, True)
        assert _rows(home)["Bread"][0] == 1
        # another family's id is refused, whatever the entry
        status, answer = page.evaluate(POST, [f"/api/v1/families/{home.other.id}/transactions", body])
        assert status == 403 and "not a member" in answer["error"]

        # the refused entry is edited and sent again
        failed.get_by_role("button", name="Edit").click()
        page.get_by_label("Category").select_option(label="Household")
        page.get_by_role("button", name="Save changes").click()
        expect(page.locator("#fb-waiting li")).to_have_count(0)
        assert _rows(home)["Seeds"][0] == 1

        page.goto(server.url + "/")  # the writer's Today says what arrived
        expect(page.get_by_text("3 entries sent")).to_be_visible()

        stranger = new_page()  # a signed-out device cannot post
        stranger.goto(server.url + "/shell/offline.html")
        body["client_id"] = "7a0c6f3e-0000-4000-8000-000000000001"
        status, answer = stranger.evaluate(POST, [f"/api/v1/families/{home.family.id}/transactions", body])
        assert status == 401 and "not signed in" in answer["error"]
        expect(stranger.get_by_text("has not opened the app while signed in")).to_be_visible()
    finally:
        server.stop()
    assert "Traceback" not in server.output(), server.output()[-4000:]


def test_a_page_whose_server_goes_away_says_so_and_leads_to_the_offline_form(world, new_page, tmp_path):
    home, url = world
    server = AppServer(url, tmp_path)
    try:
        page = new_page(390, 844)
        sign_in(page, server.url, "mom@example.com", PASSWORD)
        _shell_knows_the_family(page)  # the page has had the time to tell the shell, as an open app has
        bar = page.get_by_test_id("fb-offline-bar")
        expect(bar).to_be_hidden()
        expect(page.locator("#fb-away")).to_have_count(0)
    finally:
        server.stop()  # the phone still has signal; the app's server does not answer
    expect(bar).to_be_visible(timeout=20_000)
    expect(bar).to_contain_text("Offline — reconnecting")
    away = page.locator("#fb-away")  # above Streamlit's own "connection error" dialog, which makes the page inert
    expect(away).to_contain_text("cannot reach its server", timeout=20_000)
    away.get_by_role("link", name="Type an expense offline").click()
    # answered by the service worker's cache while the server is away, with what the shell knows of the family
    expect(page.get_by_role("heading", name=re.compile(r"^Waiting to be sent"))).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Offline")
    expect(page.get_by_label("Amount (USD)")).to_be_visible()


def test_the_offline_form_writes_money_the_familys_way(world, new_page, tmp_path):
    home, url = world
    anna = accounts.create_user(home.engine, "anna@example.de", "Anna", PASSWORD)
    families.create_family(
        home.engine,
        anna.id,
        name="Bergers",
        currency="EUR",
        timezone="Europe/Berlin",
        monthly_income=400000,
        savings_goal=30000,
        period_start_day=1,
        locale="de_DE",
    )
    server = AppServer(url, tmp_path)
    try:
        page = new_page(390, 844)
        sign_in(page, server.url, "anna@example.de", PASSWORD)
        _shell_knows_the_family(page)
        page.context.set_offline(True)
        page.reload()
        amount = page.get_by_label("Amount (EUR)")
        expect(amount).to_have_attribute("placeholder", "0,00")
        amount.fill("zwölf")
        page.get_by_role("button", name="Save on this device").click()
        expect(page.locator("#fb-form-error")).to_have_text("Type an amount, such as 12,50.")
        _type(page, "1.234,50", "Fahrrad", "Transport")
        _type(page, "12,5", "Brot", "Groceries")
        shown = page.locator("#fb-waiting li .amt")
        expect(shown).to_have_text(["1.234,50\u00a0€", "12,50\u00a0€"])
    finally:
        server.stop()
    assert "Traceback" not in server.output(), server.output()[-4000:]

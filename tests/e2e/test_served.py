"""The served deployment (``budget serve --processes 2``) in a real browser: HAProxy pins each person
to one app process with its cookie, a change made through one process reaches a member on the
other, a killed process is restarted while its people move to the other one, an entry left in
the outbox by a killed process is delivered by another, and stopping the command stops everything.

One deployment for the module (starting it costs two Streamlit starts). The waits are bounded but
these are not timing tests: ``bench/capacity.py`` measures latency.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from datetime import date

import psutil
import psycopg
import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import make_url

from budget_app.server_process import ServedApp
from budget_core.db.engine import make_app_engine
from budget_core.ops.outbox import Outbox
from budget_core.ops.serve_config import PROCESS_COOKIE, PROCESS_HEADER
from budget_core.services import accounts, families, invitations
from budget_core.services.access import open_family

from .conftest import PASSWORD
from .helpers import add_expense, sidebar, sign_in

pytestmark = pytest.mark.e2e

SEEN_WITHIN_MS = 8_000


@pytest.fixture(scope="module")
def world(databases, tmp_path_factory):
    """A database with Mom and Dad of the Smiths, and ``budget serve --processes 2`` on it."""
    name = databases.create()
    url = databases.url(name)
    engine = make_app_engine(url, pool_size=2)
    mom = accounts.create_user(engine, "mom@example.com", "Mom", PASSWORD)
    dad = accounts.create_user(engine, "dad@example.com", "Dad", PASSWORD)
    family = families.create_family(
        engine,
        mom.id,
        name="Smiths",
        currency="USD",
        timezone="UTC",
        monthly_income=520000,
        savings_goal=60000,
        period_start_day=1,
    )
    invitations.redeem_invitation(
        engine, dad.id, invitations.create_invitation(open_family(engine, mom.id, family.id)).token
    )
    engine.dispose()
    workdir = tmp_path_factory.mktemp("served")
    served = ServedApp(url, workdir, processes=2, env={"BUDGET_SYNC_TRACE": str(workdir / "sync-trace.jsonl")})
    served.trace = workdir / "sync-trace.jsonl"
    yield served, url, family.id, {"mom": mom.id, "dad": dad.id}
    served.stop()
    databases.drop(name)


def process_of(page) -> str:
    """The app process HAProxy pinned this browser to (its HttpOnly cookie)."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return cookies[PROCESS_COOKIE]


def toast(page, text: str):
    return page.locator('[data-testid="stToast"]').filter(has_text=text)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def test_two_members_on_different_processes_see_each_others_changes(world, new_page):
    served, url, _family_id, _ids = world
    with urllib.request.urlopen(served.url + "/", timeout=10) as first:
        assert first.headers[PROCESS_HEADER] in ("p1", "p2")  # the balancer names who answered

    mom_page, dad_page = new_page(), new_page()
    sign_in(mom_page, served.url, "mom@example.com", PASSWORD)
    sign_in(dad_page, served.url, "dad@example.com", PASSWORD)
    assert {process_of(mom_page), process_of(dad_page)} == {"p1", "p2"}  # one person on each process

    add_expense(mom_page, "12.50", "Pizza")
    expect(toast(dad_page, "Mom spent $12.50 on Pizza")).to_be_visible(timeout=SEEN_WITHIN_MS)
    expect(dad_page.locator('[data-testid="fb-spent-today"]')).to_contain_text("$12.50")
    woken = [json.loads(line) for line in served.trace.read_text().splitlines() if '"e":"woken"' in line]
    assert woken and all(w["fragment"] for w in woken)  # Dad's Today redrew its figures alone, not the page
    add_expense(dad_page, "4", "Coffee")
    expect(toast(mom_page, "Dad spent $4.00 on Coffee")).to_be_visible(timeout=SEEN_WITHIN_MS)

    # the app's queries went through PgBouncer (the only login named "family-budget"), while each
    # process's watcher LISTENs on a connection of its own, straight to the server
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        listening = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'family-budget-watcher'"
        ).fetchone()[0]
        pooled = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = 'postgres' "
            "AND backend_type = 'client backend' AND application_name = 'family-budget'"
        ).fetchone()[0]
    assert listening == 2
    assert pooled >= 1


def test_a_killed_process_is_restarted_and_an_entry_it_left_in_the_outbox_is_delivered(world, new_page):
    served, _url, family_id, ids = world
    dad_page = new_page()
    sign_in(dad_page, served.url, "dad@example.com", PASSWORD)
    dads = process_of(dad_page)
    victim = "p1" if dads == "p2" else "p2"
    old_pid = served.pids[victim]

    # the victim had kept Mom's entry while the database was away, and then died without delivering it
    Outbox(served.data_dir / "outbox").enqueue(
        family_id,
        {
            "amount": 3300,
            "description": "Left behind",
            "category": "Groceries",
            "occurred_on": date.today().isoformat(),
        },
        user_id=ids["mom"],
    )
    os.kill(old_pid, signal.SIGKILL)

    expect(toast(dad_page, "Mom spent $33.00 on Left behind")).to_be_visible(timeout=SEEN_WITHIN_MS * 2)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (served.pids[victim] != old_pid and healthy(served.app_url(victim))):
        time.sleep(0.5)
    assert served.pids[victim] != old_pid, served.output()[-3000:]
    assert healthy(served.app_url(victim))
    assert "p1 exited with code" in served.output() or "p2 exited with code" in served.output()


def test_a_member_whose_process_dies_reconnects_to_another_and_stays_signed_in(world, new_page):
    served, _url, _family_id, _ids = world
    mom_page = new_page()
    sign_in(mom_page, served.url, "mom@example.com", PASSWORD)
    theirs = process_of(mom_page)
    device_cookies = [
        c for c in mom_page.context.cookies() if c["httpOnly"] and c["name"] not in (PROCESS_COOKIE, "_streamlit_xsrf")
    ]
    assert device_cookies, "signing in through the balancer sets the HttpOnly device cookie"
    old_pid = served.pids[theirs]
    os.kill(old_pid, signal.SIGKILL)

    mom_page.reload()  # no sign-in screen: the device cookie signs her in on whichever process answers
    expect(sidebar(mom_page).get_by_label("Amount", exact=True)).to_be_visible(timeout=SEEN_WITHIN_MS * 2)
    # a live process answered: the other one, or this one already restarted by `budget serve`
    assert process_of(mom_page) != theirs or served.pids[theirs] != old_pid
    expect(mom_page.locator('[data-testid="fb-spent-today"]')).to_be_visible()


def test_stopping_serve_stops_every_process_it_started(world):
    served = world[0]
    children = served.pids
    assert {"pgbouncer", "haproxy", "p1", "p2"} <= set(children)
    assert served.stop() == 0
    alive = [
        name for name, pid in children.items() if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
    ]
    assert alive == []
    assert not healthy(served.url)

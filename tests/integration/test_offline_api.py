"""The JSON API the offline app shell posts to, through a real ``streamlit run app.py`` (one per module):
the device cookie, the Origin check, the family handle, exactly-once adds, refusals that write nothing,
the per-device rate limit, and the count Today announces."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest
from households import Household
from sqlalchemy import text

from budget_app.server_process import AppServer
from budget_app.web import api
from budget_core.db.engine import make_app_engine, make_engine
from budget_core.services import categories, deliveries, devices, sessions


@pytest.fixture(scope="module")
def world(databases, tmp_path_factory):
    name = databases.create()
    url = databases.url(name)
    app, owner = make_app_engine(url, pool_size=2), make_engine(url, pool_size=2)
    home = Household(app, owner)
    server = AppServer(url, tmp_path_factory.mktemp("offline-api"))
    yield home, server
    server.stop()
    output = server.output()
    app.dispose()
    owner.dispose()
    databases.drop(name)
    assert "Traceback" not in output, output[-4000:]


def call(server, path, *, token=None, body=None, origin="own", content_type="application/json", raw=None):
    headers = {}
    if token:
        headers["Cookie"] = f"fb_device={token}"
    if origin == "own":
        headers["Origin"] = server.url
    elif origin:
        headers["Origin"] = origin
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(server.url + path, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read()), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers


def stored(home, client_id) -> int:
    with home.owner.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM transactions WHERE client_id = :c"), {"c": str(client_id)}
        ).scalar_one()


def count_all(home) -> int:
    with home.owner.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM transactions")).scalar_one()


def entry(**over):
    return {"client_id": str(uuid.uuid4()), "amount": "12.50", "description": "Bread", "category": "Groceries", **over}


def test_an_entry_is_stored_once_however_often_it_is_posted_and_counted_once_for_today(world):
    home, server = world
    token = sessions.start_session(home.engine, home.dad.id, keep=True)
    session_id = devices.check(home.engine, token=token).session_id
    path = f"/api/v1/families/{home.family.id}/transactions"
    body = entry(date=None, refund=False)
    status, first, _ = call(server, path, token=token, body=body)
    assert status == 201 and first["replayed"] is False
    assert abs(first["transaction"]["amount_minor"]) == 1250
    assert first["transaction"]["member"] == "Dad" and first["transaction"]["category"] == "Groceries"
    status, again, _ = call(server, path, token=token, body=body)  # the acknowledgement was lost: sent again
    assert status == 200 and again["replayed"] is True
    assert again["transaction"]["id"] == first["transaction"]["id"]
    assert stored(home, body["client_id"]) == 1
    assert deliveries.take_sent(home.engine, session_id) == 1  # Today says "1 entry sent", once
    assert deliveries.take_sent(home.engine, session_id) == 0


def test_a_delivered_entry_keeps_its_typed_date_and_reaches_the_activity_feed(world):
    home, server = world
    token = sessions.start_session(home.engine, home.dad.id)
    access = home.access(home.dad)
    yesterday = access.today().toordinal() - 1
    from datetime import date

    body = entry(date=date.fromordinal(yesterday).isoformat(), description="Train ticket")
    status, out, _ = call(server, f"/api/v1/families/{home.family.id}/transactions", token=token, body=body)
    assert status == 201 and out["transaction"]["date"] == body["date"]
    with home.owner.connect() as conn:
        event = conn.execute(
            text("SELECT actor_id, payload FROM events WHERE family_id = :f ORDER BY version DESC LIMIT 1"),
            {"f": home.family.id},
        ).one()
    assert event.actor_id == home.dad.id and "Train ticket" in json.dumps(event.payload)


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"amount": "12.345"}, 422, "decimal"),
        ({"amount": "lots"}, 422, ""),
        ({"amount": 12.5}, 422, "as text"),
        ({"client_id": "not-a-uuid"}, 422, "UUID"),
        ({"date": "yesterday"}, 422, "not a date"),
        ({"category": "Yachts"}, 422, "Yachts"),
        ({"refund": "yes"}, 422, "true or false"),
    ],
)
def test_bad_input_gets_a_4xx_with_a_one_line_reason_and_writes_nothing(world, change, status, reason):
    home, server = world
    token = sessions.start_session(home.engine, home.dad.id)
    before = count_all(home)
    code, out, _ = call(server, f"/api/v1/families/{home.family.id}/transactions", token=token, body=entry(**change))
    assert code == status, out
    assert set(out) == {"error"} and "\n" not in out["error"] and reason.lower() in out["error"].lower()
    assert count_all(home) == before


def test_malformed_requests_are_refused_before_anything_is_read(world):
    home, server = world
    token = sessions.start_session(home.engine, home.dad.id)
    path = f"/api/v1/families/{home.family.id}/transactions"
    before = count_all(home)
    assert call(server, path, token=token, raw=b"{not json")[0:2] == (400, {"error": "The request is not valid JSON."})
    assert call(server, path, token=token, raw=b"[]")[0] == 400
    code, out, _ = call(server, path, token=token, body=entry(), content_type="text/plain")
    assert code == 400 and "JSON" in out["error"]
    assert count_all(home) == before


def test_an_archived_category_is_refused_with_its_reason(world):
    home, server = world
    token = sessions.start_session(home.engine, home.dad.id)
    cat = categories.add_category(home.access(), "Garden", "variable")
    categories.archive_category(home.access(), cat.id)
    body = entry(category=cat.id)
    code, out, _ = call(server, f"/api/v1/families/{home.family.id}/transactions", token=token, body=body)
    assert code == 422 and "archived" in out["error"]
    assert stored(home, body["client_id"]) == 0


def test_a_signed_out_device_cannot_post_or_read(world):
    home, server = world
    token = sessions.start_session(home.engine, home.dad.id)
    sessions.end_session(home.engine, token)
    path = f"/api/v1/families/{home.family.id}"
    body = entry()
    code, out, _ = call(server, path + "/transactions", token=token, body=body)
    assert code == 401 and "signed out" in out["error"]
    assert call(server, path + "/transactions", body=body)[0:2] == (401, {"error": api.SIGNED_OUT})
    assert call(server, path + "/daily")[0] == 401
    assert stored(home, body["client_id"]) == 0


def test_another_familys_id_is_refused_in_the_same_words_as_one_that_does_not_exist(world):
    home, server = world
    token = sessions.start_session(home.engine, home.dad.id)
    body = entry()
    theirs = call(server, f"/api/v1/families/{home.other.id}/transactions", token=token, body=body)
    nobody = call(server, "/api/v1/families/999999/transactions", token=token, body=body)
    assert theirs[0] == nobody[0] == 403
    assert (
        theirs[1]["error"]
        == f"You are not a member of family {home.other.id}; ask one of its managers for an invitation."
    )
    assert call(server, f"/api/v1/families/{home.other.id}/categories", token=token)[0] == 403
    assert call(server, f"/api/v1/families/{home.other.id}/daily", token=token)[0] == 403
    assert call(server, "/api/v1/families/abc/daily", token=token)[0] == 400
    assert stored(home, body["client_id"]) == 0


def test_a_post_from_another_origin_or_without_one_is_refused(world):
    home, server = world
    token = sessions.start_session(home.engine, home.dad.id)
    path = f"/api/v1/families/{home.family.id}/transactions"
    for origin in ("https://evil.example", None, "null"):
        body = entry()
        code, out, _ = call(server, path, token=token, body=body, origin=origin)
        assert code == 403 and "app's own pages" in out["error"]
        assert stored(home, body["client_id"]) == 0


def test_reads_give_the_familys_categories_and_todays_figures(world):
    home, server = world
    token = sessions.start_session(home.engine, home.mom.id)
    code, me, _ = call(server, "/api/v1/me", token=token)
    assert code == 200 and me["user"]["name"] == "Mom"
    assert [(f["id"], f["currency"], f["locale"], f["role"]) for f in me["families"]] == [
        (home.family.id, "USD", "en-US", "manager")  # what the offline form writes money with (Intl's tag)
    ]
    code, cats, _ = call(server, f"/api/v1/families/{home.family.id}/categories", token=token)
    labels = [c["label"] for c in cats["categories"]]
    assert code == 200 and "Groceries" in labels and "Garden" not in labels  # archived ones are not offered
    code, daily, headers = call(server, f"/api/v1/families/{home.family.id}/daily", token=token)
    assert code == 200 and daily["currency"] == "USD" and headers["Cache-Control"] == "no-store"
    assert daily["allowance_today"]["text"].startswith("$") and daily["days_left"] >= 1


def test_a_device_that_calls_too_often_is_slowed_down_and_others_are_not(world):
    home, server = world
    busy = sessions.start_session(home.engine, home.dad.id)
    calm = sessions.start_session(home.engine, home.dad.id)
    path = f"/api/v1/families/{home.family.id}/categories"
    codes = [call(server, path, token=busy)[0] for _ in range(api.RATE)]
    assert set(codes) == {200}
    code, out, headers = call(server, path, token=busy)
    assert code == 429 and int(headers["Retry-After"]) >= 1 and "Too many requests" in out["error"]
    assert call(server, path, token=calm)[0] == 200


def test_the_service_worker_is_served_at_the_root_with_its_scope_and_the_offline_page(world):
    home, server = world
    with urllib.request.urlopen(server.url + "/sw.js") as resp:
        assert resp.headers["Service-Worker-Allowed"] == "/"
        assert resp.headers["Content-Type"].startswith("text/javascript")
        assert b"caches.match(OFFLINE)" in resp.read()
    with urllib.request.urlopen(server.url + "/shell/offline.html") as resp:
        page = resp.read().decode()
    assert 'id="fb-offline-form"' in page and "__BASE__" not in page
    with urllib.request.urlopen(server.url + "/") as resp:
        assert "/shell/app.js?v=" in resp.read().decode()  # every page load registers the shell


@pytest.mark.parametrize("path", ["/", "/_stcore/health", "/sw.js", "/api/v1/me"])
def test_every_response_may_be_framed_only_by_the_app_itself(world, path):
    _home, server = world
    try:
        resp = urllib.request.urlopen(server.url + path, timeout=30)
    except urllib.error.HTTPError as refused:  # the API answers 401 without a device cookie: headers all the same
        resp = refused
    with resp:
        assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert resp.headers["Content-Security-Policy"] == "frame-ancestors 'self'"

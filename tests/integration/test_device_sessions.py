"""Device sessions: the cookie's token, its lifetimes (sliding), its ticket, and what ends it."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from budget_core.errors import NotFound, PermissionDenied
from budget_core.services import accounts, devices, sessions
from budget_core.services.devices import SignedOut

from .conftest import PASSWORD

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"
)
LAPTOP = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15"


def _idle_for(home, session_id: int, interval: str) -> None:
    with home.owner.begin() as conn:
        conn.execute(
            text(f"UPDATE user_sessions SET last_seen_at = now() - interval '{interval}' WHERE id = :i"),
            {"i": session_id},
        )


def _last_seen_age_s(home, session_id: int) -> float:
    with home.owner.connect() as conn:
        return conn.execute(
            text("SELECT extract(epoch FROM now() - last_seen_at) FROM user_sessions WHERE id = :i"), {"i": session_id}
        ).scalar()


def test_a_ticket_becomes_the_cookie_once_and_only_the_tokens_hash_is_stored(home):
    begun = devices.begin(home.engine, home.dad.id, keep=True, user_agent=PHONE)
    assert not devices.remembered(home.engine, begun.session_id)
    cookie = devices.redeem_ticket(home.engine, begun.ticket)
    assert devices.remembered(home.engine, begun.session_id)  # what the page asks once the ticket ran out
    assert cookie.keep and cookie.max_age == 30 * 86400
    assert len(cookie.token) >= 43  # 32 random bytes, URL-safe base64: 256 bits
    with home.owner.connect() as conn:
        stored = conn.execute(
            text("SELECT token_hash, ticket_hash FROM user_sessions WHERE id = :i"), {"i": begun.session_id}
        ).one()
    assert stored.token_hash == hashlib.sha256(cookie.token.encode()).digest() and stored.ticket_hash is None
    assert devices.check(home.engine, token=cookie.token).session_id == begun.session_id
    with pytest.raises(PermissionDenied, match="expired or was already used"):
        devices.redeem_ticket(home.engine, begun.ticket)  # single use


def test_a_ticket_not_exchanged_within_two_minutes_is_refused(home):
    begun = devices.begin(home.engine, home.dad.id, keep=False)
    with home.owner.begin() as conn:
        conn.execute(
            text("UPDATE user_sessions SET ticket_expires_at = now() - interval '1 second' WHERE id = :i"),
            {"i": begun.session_id},
        )
    with pytest.raises(PermissionDenied):
        devices.redeem_ticket(home.engine, begun.ticket)
    assert devices.check(home.engine, session_id=begun.session_id).user.id == home.dad.id  # the tab stays signed in
    assert not devices.remembered(home.engine, begun.session_id)  # and is told a reload will not be


def test_a_kept_session_slides_and_ends_after_thirty_days_without_use(home):
    token = sessions.start_session(home.engine, home.dad.id, keep=True)
    session_id = devices.check(home.engine, token=token).session_id
    _idle_for(home, session_id, "29 days")
    assert devices.check(home.engine, token=token).user.id == home.dad.id
    assert _last_seen_age_s(home, session_id) < 60  # used today: thirty more days from now
    _idle_for(home, session_id, "30 days 1 minute")
    with pytest.raises(SignedOut) as out:
        devices.check(home.engine, token=token)
    assert out.value.reason == "expired"
    assert "You were signed out on this device because it was not used for 30 days" in out.value.message
    with pytest.raises(SignedOut) as again:  # and it stays ended, with the same reason
        devices.check(home.engine, token=token)
    assert again.value.reason == "expired"


def test_a_session_not_kept_ends_after_an_hour_without_use(home):
    token = sessions.start_session(home.engine, home.dad.id, keep=False)
    session_id = devices.check(home.engine, token=token).session_id
    _idle_for(home, session_id, "59 minutes")
    devices.check(home.engine, session_id=session_id)
    _idle_for(home, session_id, "61 minutes")
    with pytest.raises(SignedOut) as out:
        devices.check(home.engine, session_id=session_id)
    assert out.value.reason == "idle"


def test_a_page_load_renews_the_cookie_of_a_kept_session_only(home):
    kept = sessions.start_session(home.engine, home.dad.id, keep=True)
    brief = sessions.start_session(home.engine, home.dad.id, keep=False)
    assert devices.renew(home.engine, kept).max_age == 30 * 86400
    assert devices.renew(home.engine, brief) is None  # its cookie ends with the browser
    devices.end(home.engine, token=kept)
    assert devices.renew(home.engine, kept) is None
    assert devices.renew(home.engine, "never issued") is None


def test_signing_out_one_device_from_another_ends_only_that_one_with_its_reason(home):
    phone = devices.begin(home.engine, home.dad.id, keep=True, user_agent=PHONE)
    laptop = devices.begin(home.engine, home.dad.id, keep=True, user_agent=LAPTOP)
    listed = devices.list_devices(home.engine, home.dad.id, current_session=laptop.session_id)
    assert [(d.browser, d.current) for d in listed] == [("Safari on Mac OS X", True), ("Chrome on Android", False)]
    devices.sign_out_device(home.engine, home.dad.id, phone.session_id)
    with pytest.raises(SignedOut) as out:
        devices.check(home.engine, session_id=phone.session_id)
    assert "signed out from the Account page on another device" in out.value.message
    devices.check(home.engine, session_id=laptop.session_id)
    assert [d.id for d in devices.list_devices(home.engine, home.dad.id)] == [laptop.session_id]
    with pytest.raises(NotFound):  # nobody signs out someone else's device
        devices.sign_out_device(home.engine, home.mom.id, laptop.session_id)
    devices.check(home.engine, session_id=laptop.session_id)


def test_sign_out_everywhere_ends_every_session_of_the_account_and_no_one_elses(home):
    mine = [devices.begin(home.engine, home.dad.id, keep=True).session_id for _ in range(3)]
    moms = devices.begin(home.engine, home.mom.id, keep=True).session_id
    assert devices.end_all(home.engine, home.dad.id, reason="everywhere") == 3
    for session_id in mine:
        with pytest.raises(SignedOut, match="Sign out everywhere"):
            devices.check(home.engine, session_id=session_id)
    devices.check(home.engine, session_id=moms)


def test_changing_the_password_keeps_this_device_and_ends_the_others(home):
    here = devices.begin(home.engine, home.dad.id, keep=True).session_id
    there = devices.begin(home.engine, home.dad.id, keep=True).session_id
    assert (
        sessions.change_password(home.engine, home.dad.id, PASSWORD, "a brand new passphrase", keep_session=here) == 1
    )
    devices.check(home.engine, session_id=here)
    with pytest.raises(SignedOut, match="your password was changed"):
        devices.check(home.engine, session_id=there)


def test_the_first_account_runs_the_server_and_the_cli_names_others(home):
    assert accounts.is_operator(home.engine, home.mom.id)  # the household's first account
    assert not accounts.is_operator(home.engine, home.dad.id)
    accounts.set_operator(home.engine, "dad@example.com")
    assert accounts.is_operator(home.engine, home.dad.id)
    accounts.set_operator(home.engine, "dad@example.com", False)
    assert not accounts.is_operator(home.engine, home.dad.id)
    assert devices.check(home.engine, token=sessions.start_session(home.engine, home.mom.id)).is_operator


def test_a_new_name_reaches_every_family_of_the_person_as_one_change_each(home):
    from budget_core.services import activity, members

    accounts.rename(home.engine, home.dad.id, "  Papa  ")
    assert accounts.get_user(home.engine, home.dad.id).display_name == "Papa"
    names = {m.user_id: m.display_name for m in members.list_members(home.access())}
    assert names[home.dad.id] == "Papa"
    assert activity.recent_activity(home.access(), limit=1)[0].text == "Dad is now called Papa"
    with pytest.raises(Exception, match="Enter a name"):
        accounts.rename(home.engine, home.dad.id, "   ")

"""Your account, sign-in that a device keeps, reset links on the Family page, and the Health split."""

from __future__ import annotations

import html

import pytest

from budget_core.services import accounts, devices, members, passwords, sessions
from budget_core.services.access import open_family
from budget_core.services.devices import SignedOut

from .conftest import PASSWORD, by_label, markdown_text, no_exception, open_page


def test_signing_in_keeps_the_device_by_default_and_hands_the_browser_a_ticket(home):
    at = open_page("today.py")
    assert at.checkbox(key="signin_keep").value is True
    at.text_input(key="signin_email").input("dad@example.com")
    at.text_input(key="signin_password").input(PASSWORD)
    at = by_label(at.button, "Sign in").click().run()
    no_exception(at)
    session = devices.check(home.engine, session_id=at.session_state["session_id"])
    assert session.user.id == home.dad.id and session.keep
    ticket = at.session_state["fb_device_pending"]["ticket"]
    assert devices.redeem_ticket(home.engine, ticket).keep  # what the browser's route call does


def test_unticking_keep_me_signed_in_makes_a_session_that_ends_with_the_browser(home):
    at = open_page("today.py")
    at.text_input(key="signin_email").input("dad@example.com")
    at.text_input(key="signin_password").input(PASSWORD)
    at.checkbox(key="signin_keep").uncheck()
    at = by_label(at.button, "Sign in").click().run()
    assert not devices.check(home.engine, session_id=at.session_state["session_id"]).keep


def test_a_session_ended_elsewhere_says_why_at_the_next_run(home):
    at = open_page("today.py", user_id=home.dad.id, family_id=home.family.id)
    devices.end_all(home.engine, home.dad.id, reason="password")
    at.run()
    no_exception(at)
    assert any("because your password was changed" in i.value for i in at.info)
    assert "user_id" not in at.session_state
    assert at.session_state["fb_device_pending"]["action"] == "forget"  # the browser is told to drop the cookie


def test_the_account_page_renames_changes_the_password_and_signs_out_another_device(home):
    phone = devices.begin(
        home.engine,
        home.dad.id,
        keep=True,
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    )
    at = open_page("pages/8_Account.py", user_id=home.dad.id, family_id=home.family.id)
    no_exception(at)
    text = markdown_text(at)
    assert "Safari on iOS" in text and "this device" in text
    at.text_input(key="account_display_name").input("Papa")
    at = by_label(at.button, "Save the name").click().run()
    assert accounts.get_user(home.engine, home.dad.id).display_name == "Papa"
    at = at.button(key=f"sign_out_device_{phone.session_id}").click().run()
    no_exception(at)
    with pytest.raises(SignedOut) as out:
        devices.check(home.engine, session_id=phone.session_id)
    assert out.value.reason == "device"
    at.text_input(key="account_current_password").input("not my password")
    at.text_input(key="account_new_password").input("a brand new passphrase")
    at = by_label(at.button, "Change the password").click().run()
    assert any("do not match" in e.value for e in at.error)
    at.text_input(key="account_current_password").input(PASSWORD)
    at = by_label(at.button, "Change the password").click().run()
    no_exception(at)
    assert sessions.verify_sign_in(home.engine, "dad@example.com", "a brand new passphrase").id == home.dad.id
    devices.check(home.engine, session_id=at.session_state["session_id"])  # this device stays signed in


def test_a_manager_makes_a_reset_link_shown_with_its_expiry_in_the_familys_time_zone(home):
    at = open_page("pages/4_Family.py", user_id=home.mom.id, family_id=home.family.id)
    assert "only manager" in markdown_text(at) or any("only manager" in c.value for c in at.caption)
    at.selectbox(key="reset_pick").set_value(home.dad.id).run()
    at = at.button(key="make_reset").click().run()
    no_exception(at)
    link = at.code[-1].value
    assert "/?reset=" in link
    assert passwords.peek(home.engine, link.split("reset=")[1]).id == home.dad.id
    assert any("(America/New_York)" in s.value for s in at.success)


def test_a_manager_who_does_not_run_the_server_sees_only_the_familys_health(home):
    members.change_role(open_family(home.engine, home.mom.id, home.family.id), home.dad.id, "manager")
    at = open_page("pages/7_Health.py", user_id=home.dad.id, family_id=home.family.id)
    no_exception(at)
    text = html.unescape(markdown_text(at))
    assert "**Live updates**: Working" in text and "**Saving and figures**: Working." in text
    assert "This server" not in text and "p95" not in text and "Circuit breaker" not in text
    assert not at.dataframe

"""Forgotten passwords: single-use links by e-mail or from a manager, rate limits, who may reset whom."""

from __future__ import annotations

import hashlib
import re

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from budget_core import config
from budget_core.errors import NotFound, PermissionDenied, ValidationError
from budget_core.ops import notifications
from budget_core.services import accounts, activity, devices, families, invitations, members, passwords, sessions
from budget_core.services.devices import SignedOut
from budget_core.services.sessions import RateLimited

from .test_notifications import Inbox, free_port


def test_a_managers_reset_link_works_once_and_signs_the_member_out_everywhere(home):
    phone = devices.begin(home.engine, home.dad.id, keep=True).session_id
    made = passwords.make_link(home.access(), home.dad.id)
    assert made.url("http://192.168.1.20:8501") == f"http://192.168.1.20:8501/?reset={made.token}"
    assert passwords.peek(home.engine, made.token).email == "dad@example.com"
    with home.owner.connect() as conn:
        stored = conn.execute(text("SELECT token_hash, made_by FROM password_resets")).one()
    assert stored.token_hash == hashlib.sha256(made.token.encode()).digest() and stored.made_by == home.mom.id
    assert len(made.token) >= 32  # 24 random bytes: 192 bits
    assert passwords.reset(home.engine, made.token, "dad's brand new passphrase").id == home.dad.id
    with pytest.raises(SignedOut, match="your password was reset"):
        devices.check(home.engine, session_id=phone)
    assert sessions.verify_sign_in(home.engine, "dad@example.com", "dad's brand new passphrase").id == home.dad.id
    with pytest.raises(PermissionDenied, match="not valid"):
        passwords.reset(home.engine, made.token, "yet another passphrase")  # once only
    assert activity.recent_activity(home.access(), limit=1)[0].text == "Mom made a password reset link for Dad"


def test_a_weak_new_password_is_refused_and_leaves_the_link_usable(home):
    made = passwords.make_link(home.access(), home.dad.id)
    with pytest.raises(ValidationError, match="at least 8"):
        passwords.reset(home.engine, made.token, "short")
    passwords.reset(home.engine, made.token, "long enough passphrase")


def test_a_reset_link_expires_after_an_hour_and_a_newer_one_replaces_it(home):
    first = passwords.make_link(home.access(), home.dad.id)
    second = passwords.make_link(home.access(), home.dad.id)
    with pytest.raises(PermissionDenied):
        passwords.peek(home.engine, first.token)
    with home.owner.begin() as conn:
        conn.execute(text("UPDATE password_resets SET expires_at = now() - interval '1 second'"))
    with pytest.raises(PermissionDenied, match="expired or been used"):
        passwords.reset(home.engine, second.token, "long enough passphrase")


def test_who_may_make_a_reset_link(home):
    from budget_core.services.access import open_family

    with pytest.raises(PermissionDenied, match="Only a manager"):
        passwords.make_link(home.access(home.dad), home.mom.id)
    with pytest.raises(ValidationError, match="Account page"):
        passwords.make_link(home.access(), home.mom.id)
    with pytest.raises(NotFound):  # Eve is not in the Smiths
        passwords.make_link(home.access(), home.eve.id)
    # Dad is also a member of Eve's family, which Mom does not manage: his account is beyond her reach
    token = invitations.create_invitation(open_family(home.engine, home.eve.id, home.other.id)).token
    invitations.redeem_invitation(home.engine, home.dad.id, token)
    with pytest.raises(PermissionDenied, match="also in a family you do not manage"):
        passwords.make_link(home.access(), home.dad.id)
    members.change_role(home.access(), home.dad.id, "manager")
    with pytest.raises(PermissionDenied, match="also in a family you do not manage"):  # nor does a promotion help
        passwords.make_link(home.access(), home.dad.id)
    members.remove_member(open_family(home.engine, home.eve.id, home.other.id), home.dad.id)
    assert passwords.make_link(home.access(), home.dad.id).user.id == home.dad.id  # a fellow manager, all in reach


def test_the_only_manager_is_told_who_can_help(home):
    assert passwords.only_manager(home.access())
    assert not passwords.only_manager(home.access(home.dad))
    members.change_role(home.access(), home.dad.id, "manager")
    assert not passwords.only_manager(home.access())


def test_without_email_asking_for_a_link_says_who_can_make_one(home):
    with pytest.raises(ValidationError, match="Ask a manager of your family"):
        passwords.request_by_email(home.engine, "dad@example.com", base_url="http://h:1")


@pytest.fixture
def smtp(monkeypatch):
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("BUDGET_SMTP_URL", f"smtp://127.0.0.1:{port}")
    config.reset_settings()
    yield inbox
    controller.stop()


def test_an_emailed_link_goes_out_once_and_the_answer_does_not_say_whether_the_account_exists(home, smtp):
    known = passwords.request_by_email(home.engine, "Dad@Example.com ", base_url="http://192.168.1.20:8501")
    unknown = passwords.request_by_email(home.engine, "nobody@example.com", base_url="http://192.168.1.20:8501")
    assert known == unknown == passwords.ASKED
    assert notifications.dispatch_due(home.owner).sent == 1
    [(recipients, content)] = smtp.messages
    assert recipients == ["dad@example.com"]
    link = re.search(r"http://192\.168\.1\.20:8501/\?reset=([\w-]+)", content.replace("=\n", "")).group(1)
    with home.owner.connect() as conn:
        assert conn.execute(text("SELECT body FROM account_mail")).scalar() == ""  # no link kept once sent
    assert passwords.reset(home.engine, link, "dad's brand new passphrase").id == home.dad.id


def test_asking_for_links_is_rate_limited_per_account_and_per_client(home, smtp):
    for _ in range(passwords.LIMITS["account"]):
        passwords.request_by_email(home.engine, "dad@example.com", client="203.0.113.9")
    with pytest.raises(RateLimited):
        passwords.request_by_email(home.engine, "DAD@example.com", client="198.51.100.1")
    with pytest.raises(RateLimited):  # the same for an address that has no account
        for _ in range(passwords.LIMITS["account"] + 1):
            passwords.request_by_email(home.engine, "nobody@example.com", client="198.51.100.2")
    for i in range(passwords.LIMITS["client"] - passwords.LIMITS["account"]):
        passwords.request_by_email(home.engine, f"guess{i}@example.com", client="203.0.113.9")
    with pytest.raises(RateLimited):
        passwords.request_by_email(home.engine, "mom@example.com", client="203.0.113.9")
    passwords.request_by_email(home.engine, "mom@example.com", client="198.51.100.3")


def test_guessing_reset_tokens_is_rate_limited_per_client(home):
    for i in range(passwords.LIMITS["use"]):
        with pytest.raises(PermissionDenied):
            passwords.reset(home.engine, f"guess-{i}", "long enough passphrase", client="203.0.113.9")
    real = passwords.make_link(home.access(), home.dad.id)
    with pytest.raises(RateLimited):
        passwords.reset(home.engine, real.token, "long enough passphrase", client="203.0.113.9")
    passwords.reset(home.engine, real.token, "long enough passphrase", client="198.51.100.1")


def test_a_member_removed_meanwhile_cannot_be_given_a_link(home):
    members.remove_member(home.access(), home.dad.id)
    with pytest.raises(NotFound):
        passwords.make_link(home.access(), home.dad.id)
    assert families.my_families(home.engine, home.dad.id) == []
    assert accounts.find_user(home.engine, "dad@example.com") is not None

"""Issue 17: sign-up is not an account oracle. A taken address and a new one get the same answer,
nobody is signed in either way, the taken address's owner is told by e-mail, and sign-ups are
rate-limited per client and per address (the address under its one normal form)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from budget_core.errors import PermissionDenied, ValidationError
from budget_core.services import sessions
from budget_core.services.sessions import LIMITS, RateLimited
from budget_core.services.signup import SIGNED_UP, TAKEN_SUBJECT, SignUp, sign_up

from .conftest import fingerprint
from .test_password_reset import smtp  # noqa: F401 (the fixture: a real SMTP server on loopback)


def form(email: str, **changes) -> SignUp:
    fields = dict(
        name="Alex",
        email=email,
        password="a long secret 42",
        family_name="The Lees",
        currency="EUR",
        timezone="Europe/Berlin",
        monthly_income=420000,
        savings_goal=50000,
        period_start_day=1,
    )
    return SignUp(**(fields | changes))


def count(owner, table: str) -> int:
    with owner.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_a_taken_address_and_a_new_one_get_the_same_answer_and_nobody_is_signed_in(home):
    sessions_before = count(home.owner, "user_sessions")
    before = fingerprint(home.owner)
    taken = sign_up(home.engine, form("Dad@Example.com "), client="203.0.113.7")
    assert fingerprint(home.owner) == before  # nothing written for the taken address
    new = sign_up(home.engine, form("alex@example.com"), client="203.0.113.8")
    assert taken == SIGNED_UP.format(email="Dad@Example.com") and new == SIGNED_UP.format(email="alex@example.com")
    assert taken.replace("Dad@Example.com", "X") == new.replace("alex@example.com", "X")
    assert count(home.owner, "user_sessions") == sessions_before  # neither answer signs anyone in
    # the owner of the taken address keeps their password; the new account signs in with its own
    assert sessions.verify_sign_in(home.engine, "dad@example.com", "correct horse battery").id == home.dad.id
    with pytest.raises(PermissionDenied, match="do not match an account"):
        sessions.verify_sign_in(home.engine, "dad@example.com", "a long secret 42")
    assert sessions.verify_sign_in(home.engine, "alex@example.com", "a long secret 42").email == "alex@example.com"


def test_the_owner_of_a_taken_address_is_told_by_email(home, smtp):  # noqa: F811
    sign_up(home.engine, form("DAD@example.com"))
    for _ in range(200):  # the notice goes out on a background thread
        if smtp.messages:
            break
        time.sleep(0.05)
    [(recipients, content)] = smtp.messages
    assert recipients == ["DAD@example.com"] and TAKEN_SUBJECT in content and "Nothing was changed" in content
    sign_up(home.engine, form("alex@example.com"))
    time.sleep(0.5)
    assert len(smtp.messages) == 1  # a new address gets no notice


def test_sign_ups_for_one_address_are_limited_whatever_its_spelling(home):
    spellings = ["dad@example.com", "DAD@example.com", " Dad@EXAMPLE.com", "dad@example.com"]
    for i in range(LIMITS["signup-address"]):
        sign_up(home.engine, form(spellings[i]), client=f"198.51.100.{i}")
    before = fingerprint(home.owner)
    with pytest.raises(RateLimited) as limited:
        sign_up(home.engine, form(spellings[-1]), client="198.51.100.99")
    assert limited.value.retry_in > 0 and fingerprint(home.owner) == before


def test_sign_ups_from_one_client_are_limited_and_the_limited_one_creates_no_account(home):
    for i in range(LIMITS["signup"]):
        sign_up(home.engine, form(f"guess{i}@example.com"), client="203.0.113.50")
    before = fingerprint(home.owner)
    with pytest.raises(RateLimited):
        sign_up(home.engine, form("one.more@example.com"), client="203.0.113.50")
    assert fingerprint(home.owner) == before
    with pytest.raises(PermissionDenied, match="do not match an account"):
        sessions.verify_sign_in(home.engine, "one.more@example.com", "a long secret 42")
    sign_up(home.engine, form("one.more@example.com"), client="203.0.113.51")  # another client is not held back
    assert sessions.verify_sign_in(home.engine, "one.more@example.com", "a long secret 42")


def test_a_refused_form_is_not_counted_and_writes_nothing(home):
    before = fingerprint(home.owner)
    for _ in range(LIMITS["signup-address"] + 2):
        with pytest.raises(ValidationError):
            sign_up(home.engine, form("alex@example.com", password="aaaaaaaa"), client="203.0.113.60")
    assert fingerprint(home.owner) == before
    sign_up(home.engine, form("alex@example.com"), client="203.0.113.60")
    assert sessions.verify_sign_in(home.engine, "alex@example.com", "a long secret 42")

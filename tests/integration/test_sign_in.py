"""Sign-in: sessions that end, rate limits that say when to retry, no account enumeration."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from budget_core.errors import PermissionDenied
from budget_core.services import invitations, members, sessions
from budget_core.services.access import open_family
from budget_core.services.accounts import SIGN_IN_FAILED

PASSWORD = "correct horse battery"  # as in tests/integration/conftest.py


def test_a_session_works_until_sign_out(home):
    user, token = sessions.sign_in(home.engine, "dad@example.com", PASSWORD)
    assert sessions.check_session(home.engine, token).id == user.id == home.dad.id
    sessions.end_session(home.engine, token)
    with pytest.raises(PermissionDenied, match="because you signed out. Sign in again"):
        sessions.check_session(home.engine, token)


def test_a_session_expires_after_inactivity(home):
    _, token = sessions.sign_in(home.engine, "dad@example.com", PASSWORD)
    with home.owner.begin() as conn:  # setting the clock back is setup, not something the app does
        conn.execute(text("UPDATE user_sessions SET last_seen_at = now() - interval '61 minutes'"))
    with pytest.raises(PermissionDenied, match="not used for an hour"):
        sessions.check_session(home.engine, token)
    with pytest.raises(PermissionDenied):  # and it stays ended
        sessions.check_session(home.engine, token)


def test_changing_the_password_ends_the_other_sessions_but_not_this_one(home):
    _, phone = sessions.sign_in(home.engine, "dad@example.com", PASSWORD)
    _, laptop = sessions.sign_in(home.engine, "dad@example.com", PASSWORD)
    ended = sessions.change_password(home.engine, home.dad.id, PASSWORD, "a brand new passphrase", keep_token=laptop)
    assert ended == 1
    assert sessions.check_session(home.engine, laptop).id == home.dad.id
    with pytest.raises(PermissionDenied):
        sessions.check_session(home.engine, phone)
    with pytest.raises(PermissionDenied):
        sessions.sign_in(home.engine, "dad@example.com", PASSWORD)
    assert sessions.sign_in(home.engine, "dad@example.com", "a brand new passphrase")[0].id == home.dad.id


def test_after_five_wrong_passwords_the_account_waits_and_says_how_long(home):
    for _ in range(5):
        with pytest.raises(PermissionDenied, match="do not match"):
            sessions.sign_in(home.engine, "dad@example.com", "wrong password!")
    with pytest.raises(sessions.RateLimited) as limited:
        sessions.sign_in(home.engine, "dad@example.com", PASSWORD)  # even the right one
    assert 1 <= limited.value.retry_in <= sessions.WINDOW_S + 1
    assert f"Try again in {limited.value.retry_in} s" in limited.value.message
    # Mom is not affected by Dad's lock-out
    assert sessions.sign_in(home.engine, "mom@example.com", PASSWORD)[0].id == home.mom.id


def test_an_unknown_account_answers_exactly_like_a_wrong_password(home):
    answers = []
    for email in ("dad@example.com", "nobody@example.com"):
        for _ in range(5):
            with pytest.raises(PermissionDenied) as err:
                sessions.sign_in(home.engine, email, "wrong password!")
            answers.append(err.value.message)
        with pytest.raises(sessions.RateLimited):
            sessions.sign_in(home.engine, email, "wrong password!")
    assert set(answers) == {SIGN_IN_FAILED}


def test_one_client_guessing_many_accounts_is_limited(home):
    for i in range(20):
        with pytest.raises(PermissionDenied):
            sessions.sign_in(home.engine, f"guess{i}@example.com", "wrong password!", client="203.0.113.9")
    with pytest.raises(sessions.RateLimited):
        sessions.sign_in(home.engine, "mom@example.com", PASSWORD, client="203.0.113.9")
    assert sessions.sign_in(home.engine, "mom@example.com", PASSWORD, client="198.51.100.1")[0].id == home.mom.id


def test_guessing_invitation_tokens_is_limited(home):
    for i in range(10):
        with pytest.raises(PermissionDenied, match="not valid"):
            sessions.redeem(home.engine, home.eve.id, f"guess-{i}")
    real = invitations.create_invitation(open_family(home.engine, home.mom.id, home.family.id)).token
    with pytest.raises(sessions.RateLimited):
        sessions.redeem(home.engine, home.eve.id, real)


def test_a_removed_member_loses_the_family_at_once(home):
    from budget_core.services import families

    _, token = sessions.sign_in(home.engine, "dad@example.com", PASSWORD)
    members.remove_member(open_family(home.engine, home.mom.id, home.family.id), home.dad.id)
    user = sessions.check_session(home.engine, token)
    assert [m.family_id for m in families.my_families(home.engine, user.id)] == []
    with pytest.raises(PermissionDenied):
        open_family(home.engine, user.id, home.family.id)


def test_setting_a_password_from_the_cli_signs_the_account_out_everywhere(home):
    from click.testing import CliRunner

    from budget_core.cli import main

    _, token = sessions.sign_in(home.engine, "dad@example.com", PASSWORD)
    out = CliRunner().invoke(main, ["user", "password", "dad@example.com"], input="another long passphrase\n")
    assert out.exit_code == 0, out.output
    assert "1 signed-in session ended" in out.stdout
    with pytest.raises(PermissionDenied):
        sessions.check_session(home.engine, token)

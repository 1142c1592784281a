"""Issue 17: roles that stay taken away, and sign-in limits that hold, on a real database.

Each case is an attack that worked before: a removed or demoted manager redeeming an invitation they
made while a manager, a parallel burst of wrong passwords, another spelling of a locked address.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from budget_core.errors import PermissionDenied, ValidationError
from budget_core.services import accounts, invitations, members, sessions
from budget_core.services.sessions import LIMITS, RateLimited

from .conftest import PASSWORD, fingerprint


def role_of(owner, family_id: int, user_id: int) -> str | None:
    with owner.connect() as conn:
        return conn.execute(
            text("SELECT role FROM members WHERE family_id = :f AND user_id = :u AND removed_at IS NULL"),
            {"f": family_id, "u": user_id},
        ).scalar()


def last_event(owner, family_id: int):
    with owner.connect() as conn:
        return conn.execute(
            text("SELECT kind, payload FROM events WHERE family_id = :f ORDER BY version DESC LIMIT 1"),
            {"f": family_id},
        ).one()


def dad_as_manager_with_an_open_invitation(home) -> str:
    members.change_role(home.access(), home.dad.id, "manager")
    return invitations.create_invitation(home.access(home.dad), role="manager", hours=168).token


def test_removing_a_manager_revokes_their_invitations_in_the_one_event_and_their_own_link_cannot_bring_them_back(
    home,
):
    token = dad_as_manager_with_an_open_invitation(home)
    members.remove_member(home.access(), home.dad.id)
    kind, payload = last_event(home.owner, home.family.id)
    assert kind == "member.removed" and len(payload["invitations_revoked"]) == 1
    before = fingerprint(home.owner)
    with pytest.raises(PermissionDenied):
        invitations.redeem_invitation(home.engine, home.dad.id, token)
    assert role_of(home.owner, home.family.id, home.dad.id) is None
    assert fingerprint(home.owner) == before
    assert role_of(home.owner, home.family.id, home.mom.id) == "manager"


def test_a_demoted_manager_cannot_promote_a_second_account_of_theirs_with_an_earlier_link(home):
    token = dad_as_manager_with_an_open_invitation(home)
    members.change_role(home.access(), home.dad.id, "member")
    kind, payload = last_event(home.owner, home.family.id)
    assert kind == "member.role_changed" and len(payload["invitations_revoked"]) == 1
    second = accounts.create_user(home.engine, "dad.again@example.com", "Dad Two", PASSWORD)
    with pytest.raises(PermissionDenied):
        invitations.redeem_invitation(home.engine, second.id, token)
    assert role_of(home.owner, home.family.id, second.id) is None
    assert role_of(home.owner, home.family.id, home.dad.id) == "member"


def test_an_invitation_made_by_someone_no_longer_a_manager_is_refused_even_if_not_revoked(home):
    token = dad_as_manager_with_an_open_invitation(home)
    with home.owner.begin() as conn:  # the revocation missed (say, an older row): the maker's role still decides
        conn.execute(text("UPDATE members SET role = 'member' WHERE user_id = :u"), {"u": home.dad.id})
    gran = accounts.create_user(home.engine, "gran@example.com", "Gran", PASSWORD)
    with pytest.raises(PermissionDenied):
        invitations.redeem_invitation(home.engine, gran.id, token)
    assert role_of(home.owner, home.family.id, gran.id) is None


def test_a_parallel_redeem_burst_after_the_removal_joins_nobody(home):
    token = dad_as_manager_with_an_open_invitation(home)
    members.remove_member(home.access(), home.dad.id)
    people = [accounts.create_user(home.engine, f"p{i}@example.com", f"P{i}", PASSWORD) for i in range(8)]
    people.append(home.dad)
    start = threading.Barrier(len(people))

    def try_redeem(user) -> str:
        start.wait()
        try:
            invitations.redeem_invitation(home.engine, user.id, token)
            return "joined"
        except (PermissionDenied, ValidationError):
            return "refused"

    with ThreadPoolExecutor(len(people)) as pool:
        outcomes = list(pool.map(try_redeem, people))
    assert outcomes.count("joined") == 0
    assert all(role_of(home.owner, home.family.id, p.id) is None for p in people)


def test_the_last_manager_can_neither_leave_nor_be_demoted(home):
    before = fingerprint(home.owner)
    with pytest.raises(ValidationError, match="at least one manager"):
        members.remove_member(home.access(), home.mom.id)
    with pytest.raises(ValidationError, match="at least one manager"):
        members.change_role(home.access(), home.mom.id, "member")
    assert fingerprint(home.owner) == before


def test_a_plain_member_cannot_change_roles_or_remove_anyone(home):
    before = fingerprint(home.owner)
    with pytest.raises(PermissionDenied):
        members.change_role(home.access(home.dad), home.dad.id, "manager")
    with pytest.raises(PermissionDenied):
        members.remove_member(home.access(home.dad), home.mom.id)
    assert fingerprint(home.owner) == before


def test_a_parallel_burst_of_wrong_passwords_gets_no_more_checks_than_the_limit(home):
    burst = 3 * LIMITS["account"]
    start = threading.Barrier(burst)

    def wrong() -> str:
        start.wait()
        try:
            sessions.sign_in(home.engine, "mom@example.com", "not the password", client="203.0.113.9")
        except RateLimited:
            return "limited"
        except PermissionDenied:
            return "checked"
        return "signed in"

    with ThreadPoolExecutor(burst) as pool:
        outcomes = list(pool.map(lambda _: wrong(), range(burst)))
    assert outcomes.count("checked") == LIMITS["account"]
    assert outcomes.count("limited") == burst - LIMITS["account"]
    with pytest.raises(RateLimited):  # locked: even the right password is not checked now
        sessions.sign_in(home.engine, "mom@example.com", PASSWORD, client="198.51.100.7")


@pytest.mark.parametrize("spelling", ["MOM@EXAMPLE.COM", " Mom@Example.com ", "ｍｏｍ@example.com"])
def test_another_spelling_of_a_locked_address_is_locked_too(home, spelling):
    for _ in range(LIMITS["account"]):
        with pytest.raises(PermissionDenied):
            sessions.sign_in(home.engine, "mom@example.com", "not the password")
    with pytest.raises(RateLimited):
        sessions.sign_in(home.engine, spelling, PASSWORD)


def test_one_normal_form_finds_the_account_and_refuses_a_second_account_under_another_spelling(home):
    user, _ = sessions.sign_in(home.engine, "ＭＯＭ@example.com", PASSWORD)
    assert user.id == home.mom.id
    with pytest.raises(accounts.EmailTaken):
        accounts.create_user(home.engine, "Mom@EXAMPLE.com", "Another Mom", PASSWORD)


def test_the_client_key_is_the_real_peer_unless_a_trusted_proxy_forwards():
    import ipaddress

    assert sessions.client_key(None, "1.2.3.4") == "127.0.0.1"  # loopback, the header is the client's own
    assert sessions.client_key("203.0.113.5", "1.2.3.4") == "203.0.113.5"
    proxy = (ipaddress.ip_network("127.0.0.1/32"),)
    assert sessions.client_key(None, "9.9.9.9, 1.2.3.4", proxy) == "1.2.3.4"  # only the hop the proxy saw


@pytest.mark.parametrize(
    "password",
    ["        ", "  short  ", "aaaaaaaaaaaa", "mom@example.com", "MOM@Example.com", "password123"],
)
def test_weak_passwords_are_refused_with_a_reason(password):
    with pytest.raises(ValidationError):
        accounts.check_password(password, "mom@example.com")


def test_the_name_part_of_the_address_is_refused_as_a_password():
    with pytest.raises(ValidationError, match="part before the @"):
        accounts.check_password("Mom12345", "mom12345@example.com")


def test_the_demo_password_is_refused():
    from budget_core.services.accounts import DEMO_PASSWORD

    with pytest.raises(ValidationError, match="demo"):
        accounts.check_password(DEMO_PASSWORD, "someone@example.com")


def test_display_names_are_unique_within_a_family_case_insensitively(home):
    gran = accounts.create_user(home.engine, "gran@example.com", "Gran", PASSWORD)
    token = invitations.create_invitation(home.access()).token
    before = fingerprint(home.owner)
    with pytest.raises(ValidationError):
        invitations.redeem_invitation(home.engine, gran.id, token, display_name="mom")
    assert fingerprint(home.owner) == before


def test_bidirectional_controls_are_refused_in_names():
    with pytest.raises(ValidationError):
        accounts.check_display_name("\u202egnp.exe bill")

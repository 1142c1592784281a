"""Invitations: a random token of at least 128 bits, stored only as a hash, single use, expiring,
revocable and bound to the role it was made for."""

from __future__ import annotations

import base64
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import text

from budget_core.errors import NotFound, PermissionDenied, ValidationError
from budget_core.services import accounts, families, invitations, members
from budget_core.services.access import open_family

from .conftest import fingerprint

PASSWORD = "correct horse battery"
NOT_VALID = "This invitation link is not valid"


def role_of(owner, family_id: int, user_id: int) -> str | None:
    """The person's stored role in the family (read with the owner's engine), ``None`` if not a member."""
    with owner.connect() as conn:
        return conn.execute(
            text("SELECT role FROM members WHERE family_id = :f AND user_id = :u AND removed_at IS NULL"),
            {"f": family_id, "u": user_id},
        ).scalar()


def newcomer(engine, name: str = "Gran") -> accounts.User:
    return accounts.create_user(engine, f"{name.lower()}@example.com", name, PASSWORD)


def refused_writing_nothing(home, error, fragment, attempt) -> None:
    before = fingerprint(home.owner)
    with pytest.raises(error) as caught:
        attempt()
    assert fragment in str(caught.value)
    assert fingerprint(home.owner) == before


def test_a_token_carries_at_least_128_random_bits(home):
    tokens = [
        invitations.create_invitation(open_family(home.engine, home.mom.id, home.family.id)).token for _ in range(20)
    ]
    raw = [base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)) for t in tokens]
    assert min(len(r) for r in raw) * 8 >= 128
    assert len(set(tokens)) == 20


def test_the_database_never_holds_the_clear_token(home):
    new = invitations.create_invitation(open_family(home.engine, home.mom.id, home.family.id), role="manager")
    invitations.redeem_invitation(home.engine, newcomer(home.engine).id, new.token)
    with home.owner.connect() as conn:  # every row of every table, past row-level security
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
        dump = "\n".join(
            conn.execute(text(f"SELECT coalesce(string_agg(x::text, chr(10)), '') FROM \"{t}\" x")).scalar()
            for t in tables
        )
        stored = conn.execute(
            text("SELECT token_hash FROM invitations WHERE id = :i"), {"i": new.invitation.id}
        ).scalar()
    assert "invitations" in tables and "events" in tables
    assert new.token not in dump
    assert new.token.encode().hex() not in dump  # nor as bytes in a bytea column
    assert len(stored) == 32 and stored == invitations.hash_token(new.token)


def test_redeeming_joins_the_family_with_exactly_the_invited_role(home):
    engine, family = home.engine, home.family.id
    gran, uncle = newcomer(engine, "Gran"), newcomer(engine, "Uncle")
    as_member = invitations.create_invitation(open_family(engine, home.mom.id, family), role="member")
    as_manager = invitations.create_invitation(open_family(engine, home.mom.id, family), role="manager")
    assert invitations.redeem_invitation(engine, gran.id, as_member.token) == family
    assert invitations.redeem_invitation(engine, uncle.id, as_manager.token) == family
    assert (role_of(home.owner, family, gran.id), role_of(home.owner, family, uncle.id)) == ("member", "manager")
    with pytest.raises(PermissionDenied, match="Only a manager"):
        families.update_plan(open_family(engine, gran.id, family), savings_goal=0)


def test_a_former_manager_rejoining_with_a_member_invitation_is_a_member(home):
    engine, family = home.engine, home.family.id
    members.change_role(open_family(engine, home.mom.id, family), home.dad.id, "manager")
    members.remove_member(open_family(engine, home.mom.id, family), home.dad.id)
    token = invitations.create_invitation(open_family(engine, home.mom.id, family), role="member").token
    invitations.redeem_invitation(engine, home.dad.id, token)
    assert role_of(home.owner, family, home.dad.id) == "member"


def test_an_invitation_works_once(home):
    engine, family = home.engine, home.family.id
    gran, uncle = newcomer(engine, "Gran"), newcomer(engine, "Uncle")
    token = invitations.create_invitation(open_family(engine, home.mom.id, family)).token
    invitations.redeem_invitation(engine, gran.id, token)
    refused_writing_nothing(
        home, PermissionDenied, NOT_VALID, lambda: invitations.redeem_invitation(engine, uncle.id, token)
    )
    assert role_of(home.owner, family, uncle.id) is None


def test_two_people_redeeming_one_invitation_at_once_let_exactly_one_in(home):
    engine, family = home.engine, home.family.id
    people = [newcomer(engine, f"Cousin{i}") for i in range(4)]
    token = invitations.create_invitation(open_family(engine, home.mom.id, family)).token
    barrier = threading.Barrier(len(people))

    def redeem(user):
        barrier.wait()
        try:
            return invitations.redeem_invitation(engine, user.id, token)
        except PermissionDenied:
            return None

    with ThreadPoolExecutor(len(people)) as pool:
        outcomes = list(pool.map(redeem, people))
    assert outcomes.count(family) == 1 and outcomes.count(None) == len(people) - 1
    assert sum(role_of(home.owner, family, p.id) is not None for p in people) == 1


def test_an_invitation_expires_after_48_hours_by_default(home):
    engine, family = home.engine, home.family.id
    new = invitations.create_invitation(open_family(engine, home.mom.id, family))
    expires = new.invitation.expires_at
    assert expires - new.invitation.created_at == timedelta(hours=48)
    gran = newcomer(engine)
    refused_writing_nothing(
        home,
        PermissionDenied,
        NOT_VALID,
        lambda: invitations.redeem_invitation(engine, gran.id, new.token, now=expires),
    )
    refused_writing_nothing(
        home,
        PermissionDenied,
        NOT_VALID,
        lambda: invitations.redeem_invitation(engine, gran.id, new.token, now=expires + timedelta(days=30)),
    )
    invitations.redeem_invitation(engine, gran.id, new.token, now=expires - timedelta(seconds=1))
    assert role_of(home.owner, family, gran.id) == "member"


def test_an_invitation_whose_time_has_passed_in_the_database_is_refused_and_not_shown(home):
    engine, family = home.engine, home.family.id
    new = invitations.create_invitation(open_family(engine, home.mom.id, family), hours=1)
    with home.owner.begin() as conn:
        conn.execute(
            text("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = :i"),
            {"i": new.invitation.id},
        )
    gran = newcomer(engine)
    refused_writing_nothing(
        home, PermissionDenied, NOT_VALID, lambda: invitations.redeem_invitation(engine, gran.id, new.token)
    )
    refused_writing_nothing(home, PermissionDenied, NOT_VALID, lambda: invitations.peek_invitation(engine, new.token))


def test_a_manager_may_choose_from_1_hour_to_7_days(home):
    for hours in (1, 168):
        new = invitations.create_invitation(open_family(home.engine, home.mom.id, home.family.id), hours=hours)
        assert new.invitation.expires_at - new.invitation.created_at == timedelta(hours=hours)


def test_an_invitation_lasting_outside_1_to_168_hours_is_refused(home):
    for hours in (0, -1, 169, 24 * 365, 1.5, "48"):
        refused_writing_nothing(
            home,
            ValidationError,
            "An invitation lasts from 1 hour to 168 hours",
            lambda hours=hours: invitations.create_invitation(
                open_family(home.engine, home.mom.id, home.family.id), hours=hours
            ),
        )


def test_a_revoked_invitation_is_refused_and_cannot_be_revoked_twice(home):
    engine, family = home.engine, home.family.id
    new = invitations.create_invitation(open_family(engine, home.mom.id, family))
    invitations.revoke_invitation(open_family(engine, home.mom.id, family), new.invitation.id)
    gran = newcomer(engine)
    refused_writing_nothing(
        home, PermissionDenied, NOT_VALID, lambda: invitations.redeem_invitation(engine, gran.id, new.token)
    )
    refused_writing_nothing(
        home,
        NotFound,
        "no open invitation with that number",
        lambda: invitations.revoke_invitation(open_family(engine, home.mom.id, family), new.invitation.id),
    )


def test_a_used_invitation_cannot_be_revoked(home):
    engine, family = home.engine, home.family.id
    new = invitations.create_invitation(open_family(engine, home.mom.id, family))
    invitations.redeem_invitation(engine, newcomer(engine).id, new.token)
    refused_writing_nothing(
        home,
        NotFound,
        "it may be used or revoked already",
        lambda: invitations.revoke_invitation(open_family(engine, home.mom.id, family), new.invitation.id),
    )


def test_an_unknown_token_is_refused_and_writes_nothing(home):
    gran = newcomer(home.engine)
    for token in ("", "not-a-token", "A" * 32, None):
        refused_writing_nothing(
            home,
            PermissionDenied,
            NOT_VALID,
            lambda token=token: invitations.redeem_invitation(home.engine, gran.id, token),
        )


def test_a_member_redeeming_again_is_told_so_and_the_invitation_stays_open(home):
    engine, family = home.engine, home.family.id
    new = invitations.create_invitation(open_family(engine, home.mom.id, family))
    refused_writing_nothing(
        home,
        ValidationError,
        "already a member of this family",
        lambda: invitations.redeem_invitation(engine, home.dad.id, new.token),
    )
    invitations.redeem_invitation(engine, newcomer(engine).id, new.token)  # still usable by someone new


def test_the_invitation_list_shows_each_invitations_state(home):
    engine, family = home.engine, home.family.id
    used = invitations.create_invitation(open_family(engine, home.mom.id, family))
    invitations.redeem_invitation(engine, newcomer(engine).id, used.token)
    revoked = invitations.create_invitation(open_family(engine, home.mom.id, family))
    invitations.revoke_invitation(open_family(engine, home.mom.id, family), revoked.invitation.id)
    open_ = invitations.create_invitation(open_family(engine, home.mom.id, family), hours=2)
    listed = {i.id: i for i in invitations.list_invitations(open_family(engine, home.mom.id, family))}
    now = open_.invitation.created_at
    assert listed[used.invitation.id].status(now) == "used"
    assert listed[revoked.invitation.id].status(now) == "revoked"
    assert listed[open_.invitation.id].status(now) == "open"
    assert listed[open_.invitation.id].status(now + timedelta(hours=2)) == "expired"
    assert listed[open_.invitation.id].created_by == "Mom"

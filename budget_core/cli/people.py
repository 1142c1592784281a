"""``budget`` commands for people: accounts (``budget user``) and invitations into a family
(``budget invite``)."""

from __future__ import annotations

import sys

import click

from ._common import BudgetGroup, emit, family_as, get_engine, user_by_email


@click.group(cls=BudgetGroup)
def user() -> None:
    """Accounts."""


@user.command("add")
@click.argument("email")
@click.option("--name", required=True, help="The name the family sees, e.g. Mom.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def user_add(email: str, name: str, as_json: bool) -> None:
    """Create an account; the password is read from standard input.

    Example: echo 'a long secret' | budget user add mom@example.com --name Mom
    """
    from ..services.accounts import create_user

    password = sys.stdin.readline().rstrip("\n")
    created = create_user(get_engine(), email, name, password)
    emit({"user_id": created.id, "email": created.email}, as_json, f"Created account {created.email}.")


@user.command("password")
@click.argument("email")
def user_password(email: str) -> None:
    """Set an account's password, read from standard input; signs the account out everywhere.

    Example: echo 'a new long secret' | budget user password mom@example.com
    """
    from ..services.accounts import set_password
    from ..services.sessions import end_other_sessions

    engine = get_engine()
    person = user_by_email(engine, email)
    set_password(engine, person.id, sys.stdin.readline().rstrip("\n"))
    ended = end_other_sessions(engine, person.id, reason="password")
    click.echo(f"Password changed for {email}; {ended} signed-in session{'s' if ended != 1 else ''} ended.")


@user.command("operator")
@click.argument("email")
@click.option("--off", is_flag=True, help="Stop this account being an operator.")
def user_operator(email: str, off: bool) -> None:
    """Make an account one of the server's operators (the Health page's server-wide figures).

    Example: budget user operator mom@example.com
    """
    from ..services.accounts import set_operator

    person = set_operator(get_engine(), email, not off)
    click.echo(f"{person.email} is {'no longer' if off else 'now'} an operator of this server.")


@click.group(cls=BudgetGroup)
def invite() -> None:
    """Invitations to join a family."""


@invite.command("create")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--by", "by", required=True, help="Email of the inviting manager.")
@click.option("--role", type=click.Choice(["member", "manager"]), default="member", show_default=True)
@click.option("--hours", type=int, default=48, show_default=True, help="Hours until it expires (1-168).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def invite_create(family_id, by, role, hours, as_json) -> None:
    """Make a single-use invitation link.

    Example: budget invite create --family 1 --by mom@example.com --role member --hours 48
    """
    from ..services import invitations

    made = invitations.create_invitation(family_as(get_engine(), family_id, by), role=role, hours=hours)
    data = {
        "id": made.invitation.id,
        "token": made.token,
        "url": made.url,
        "role": role,
        "expires_at": made.invitation.expires_at.isoformat(),
    }
    emit(
        data,
        as_json,
        f"Invitation {made.invitation.id} ({role}), valid until "
        f"{made.invitation.expires_at:%Y-%m-%d %H:%M} UTC:\n{made.url}",
    )


@invite.command("redeem")
@click.argument("token")
@click.option("--email", required=True, help="Email of the account joining.")
@click.option("--name", help="Name in the family (default: the account's name).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def invite_redeem(token, email, name, as_json) -> None:
    """Join a family with an invitation token.

    Example: budget invite redeem 3q2-x... --email dad@example.com
    """
    from ..services import invitations

    engine = get_engine()
    family_id = invitations.redeem_invitation(engine, user_by_email(engine, email).id, token, display_name=name)
    emit({"family_id": family_id}, as_json, f"{email} joined family {family_id}.")


@invite.command("revoke")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--id", "invitation_id", type=int, required=True, help="Invitation id (from invite create).")
@click.option("--by", "by", required=True, help="Email of a manager.")
def invite_revoke(family_id, invitation_id, by) -> None:
    """Revoke an open invitation.

    Example: budget invite revoke --family 1 --id 3 --by mom@example.com
    """
    from ..services import invitations

    invitations.revoke_invitation(family_as(get_engine(), family_id, by), invitation_id)
    click.echo(f"Invitation {invitation_id} revoked.")


@click.group(cls=BudgetGroup)
def member() -> None:
    """Members of a family and their roles."""


@member.command("list")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--by", "by", required=True, help="Email of a member.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def member_list(family_id, by, as_json) -> None:
    """List the family's current members with their roles.

    Example: budget member list --family 1 --by mom@example.com
    """
    from ..services import members

    people = members.list_members(family_as(get_engine(), family_id, by))
    rows = [
        {"user_id": p.user_id, "name": p.display_name, "email": p.email, "role": p.role, "joined_at": p.joined_at}
        for p in people
    ]
    emit(
        {"family_id": family_id, "members": rows},
        as_json,
        "\n".join(f"{p.display_name}\t{p.email}\t{p.role}\tjoined {p.joined_at:%Y-%m-%d}" for p in people),
    )


@member.command("role")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--by", "by", required=True, help="Email of a manager.")
@click.option("--email", required=True, help="Email of the member whose role changes.")
@click.option("--role", type=click.Choice(["member", "manager"]), required=True, help="The new role.")
def member_role(family_id, by, email, role) -> None:
    """Make a member a manager, or a manager a member (their open invitations are then revoked).

    Example: budget member role --family 1 --by mom@example.com --email dad@example.com --role manager
    """
    from ..services import members

    access = family_as(get_engine(), family_id, by)
    person = members.member_by_email(access, email)
    members.change_role(access, person.user_id, role)
    click.echo(f"{person.display_name} is now a {role}.")


@member.command("remove")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--by", "by", required=True, help="Email of a manager.")
@click.option("--email", required=True, help="Email of the member to remove.")
def member_remove(family_id, by, email) -> None:
    """Remove a member from the family; their past entries stay, their open invitations are revoked.

    Example: budget member remove --family 1 --by mom@example.com --email dad@example.com
    """
    from ..services import members

    access = family_as(get_engine(), family_id, by)
    person = members.member_by_email(access, email)
    members.remove_member(access, person.user_id)
    click.echo(f"Removed {person.display_name} from family {family_id}.")

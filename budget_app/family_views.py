"""Family page pieces: members and roles, invitations (create, copy the link, revoke), password reset links."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import streamlit as st

from budget_core.config import settings
from budget_core.ops import notifications
from budget_core.services import invitations, members, passwords
from budget_core.services.invitations import Invitation
from budget_core.services.members import Member

from . import links
from .errors import shown_errors
from .format import Fmt, html_escape, inert, md_escape
from .keys import done as _done
from .widgets import table

NEW_LINK = "fb_new_invitation"
NEW_RESET = "fb_new_reset_link"


def members_list(people: list[Member], fmt: Fmt) -> None:
    rows = [
        [
            html_escape(p.display_name),
            f"<span class='fb-hide-narrow'>{html_escape(p.email)}</span>",
            html_escape(p.role),
            html_escape(fmt.day(p.joined_at.astimezone(ZoneInfo(fmt.timezone)).date())),
        ]
        for p in people
    ]
    table(["Name", "Email", "Role", "Joined"], rows, narrow_hidden=(1, 3), test_id="fb-members")


def member_manager(ctx, people: list[Member]) -> None:
    by_id = {p.user_id: p for p in people}
    pick = st.selectbox(
        "Change a member",
        list(by_id),
        index=None,
        placeholder="Choose a member…",
        format_func=lambda i: f"{by_id[i].display_name} ({by_id[i].role})",
        key="member_pick",
    )
    if pick is None:
        return
    person = by_id[pick]
    c1, c2 = st.columns(2, vertical_alignment="bottom")
    other = "member" if person.role == "manager" else "manager"
    if c1.button(f"Make {other}", key=f"role_{pick}"):
        with shown_errors():
            members.change_role(ctx.access, pick, other)
            _done(f"{person.display_name} is now a {other}")
    confirm = c2.checkbox(f"Yes, remove {inert(person.display_name)}", key=f"confirm_rm_{pick}")
    if st.button("Remove from the family", key=f"remove_{pick}", disabled=not confirm, icon=":material/person_remove:"):
        with shown_errors():
            members.remove_member(ctx.access, pick)
            _done(f"Removed {person.display_name}")


def invite_form(ctx) -> None:
    cfg = settings()
    with st.form("invite", enter_to_submit=False):
        c1, c2 = st.columns(2)
        role = c1.selectbox("Joins as", ["member", "manager"], key="invite_role")
        hours = c2.number_input(
            "Link works for (hours)", 1, cfg.max_invitation_hours, cfg.invitation_hours, key="invite_hours"
        )
        email = st.text_input(
            "E-mail it to (optional)",
            key="invite_email",
            placeholder="name@example.com",
            disabled=not notifications.channel_configured("email"),
            help=None
            if notifications.channel_configured("email")
            else "E-mail is not set up on this server (BUDGET_SMTP_URL); copy the link instead.",
        )
        create = st.form_submit_button("Create invitation link", type="primary")
    if create:
        with shown_errors():
            made = invitations.create_invitation(
                ctx.access, role=role, hours=int(hours), email=email.strip() or None, base_url=links.base_url()
            )
            st.session_state[NEW_LINK] = (made.url, made.invitation.expires_at, role, email.strip())
    new = st.session_state.get(NEW_LINK)
    if new:
        url, expires, role, emailed = new
        links.share_link(
            url,
            expires_at=expires,
            fmt=ctx.fmt,
            lead=f"Send this link to the person joining as a {role}; copy it now, it is not shown again.",
            key="copy_invitation",
        )
        if emailed:
            breaker = notifications.BREAKERS["email"].snapshot()
            if breaker.state == "closed":
                st.caption(f"It is also on its way by e-mail to {inert(emailed)}.")
            else:  # degraded, visibly: the link above still works
                st.warning(
                    f"E-mail is not going out right now; it will be sent to {inert(emailed)} "
                    "once the mail server answers. Copy the link above to send it yourself.",
                    icon=":material/mail_lock:",
                )


def invitations_list(ctx, invites: list[Invitation]) -> None:
    now = datetime.now(UTC)
    if not invites:
        st.caption("No invitations yet.")
        return
    for inv in invites[:20]:
        status = inv.status(now)
        c1, c2 = st.columns([4, 1.3], vertical_alignment="center")
        when = f"expires {ctx.fmt.moment(inv.expires_at)}" if status == "open" else ctx.fmt.ago(inv.created_at, now)
        c1.markdown(
            f"#{inv.id} · as {inert(inv.role)} · by {inert(inv.created_by)} · "
            f"<span class='fb-pill'>{status}</span> <span class='fb-muted'>{inert(when)}</span>",
            unsafe_allow_html=True,
        )
        if status == "open" and c2.button("Revoke", key=f"revoke_{inv.id}"):
            with shown_errors():
                invitations.revoke_invitation(ctx.access, inv.id)
                st.session_state.pop(NEW_LINK, None)
                _done(f"Revoked invitation #{inv.id}")


def reset_links(ctx, people: list[Member]) -> None:
    """A manager makes a single-use password reset link for another member who forgot theirs."""
    others = {p.user_id: p for p in people if p.user_id != ctx.access.user_id}
    if notifications.channel_configured("email"):
        st.caption("Members can also ask for a reset link by e-mail from the sign-in page.")
    if passwords.only_manager(ctx.access):
        st.caption(md_escape(passwords.ONLY_MANAGER))
    if not others:
        st.caption("Nobody else is in the family yet.")
        return
    c1, c2 = st.columns([3, 1.4], vertical_alignment="bottom")
    pick = c1.selectbox(
        "Who forgot their password?",
        list(others),
        index=None,
        placeholder="Choose a member…",
        format_func=lambda i: others[i].display_name,
        key="reset_pick",
    )
    if c2.button("Make a reset link", key="make_reset", disabled=pick is None, icon=":material/key:"):
        with shown_errors():
            made = passwords.make_link(ctx.access, pick)
            st.session_state[NEW_RESET] = (made.url(links.base_url()), made.expires_at, others[pick].display_name)
    new = st.session_state.get(NEW_RESET)
    if new:
        url, expires, name = new
        links.share_link(
            url,
            expires_at=expires,
            fmt=ctx.fmt,
            lead=f"Give this link to {name} only: it lets whoever opens it choose a new password for "
            f"{name}'s account and signs {name} out everywhere.",
            key="copy_reset",
        )

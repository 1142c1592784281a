"""Account page pieces: the person's name, their password, and the devices signed in to the account."""

from __future__ import annotations

import streamlit as st

from budget_core.services import accounts, devices, sessions

from .errors import shown_errors
from .format import html_escape
from .keys import done as _done

SIGNED_OUT_EVERYWHERE = "You signed out everywhere, this device included."


def name_form(ctx) -> None:
    with st.form("account_name", enter_to_submit=True):
        name = st.text_input(
            "Your name",
            value=ctx.user.display_name,
            key="account_display_name",
            help="What your families see beside your expenses and in the activity feed.",
        )
        saved = st.form_submit_button("Save the name")
    if saved:
        with shown_errors():
            accounts.rename(ctx.engine, ctx.user.id, name)
            _done("Your name is saved.")


def password_form(ctx) -> None:
    with st.form("account_password", enter_to_submit=True, clear_on_submit=False):
        current = st.text_input(
            "Current password", type="password", key="account_current_password", autocomplete="current-password"
        )
        new = st.text_input(
            "New password",
            type="password",
            key="account_new_password",
            autocomplete="new-password",
            help="At least 8 characters, not a common one.",
        )
        changed = st.form_submit_button("Change the password")
    if changed:
        with shown_errors():
            ended = sessions.change_password(ctx.engine, ctx.user.id, current, new, keep_session=ctx.session_id)
            others = f"; {ended} other device{'s were' if ended != 1 else ' was'} signed out" if ended else ""
            _done(f"Your password is changed{others}.")


def device_list(ctx) -> devices.Device | None:
    """The account's live sessions, this device first, each with Sign out; returns this device's.
    Times are in the family's zone and locale."""
    mine = devices.list_devices(ctx.engine, ctx.user.id, ctx.session_id)
    for d in mine:
        box = st.container(border=True)
        left, right = box.columns([4, 1.4], vertical_alignment="center")
        badge = " <span class='fb-pill'>this device</span>" if d.current else ""
        kept = "kept signed in" if d.keep else "until the browser closes"
        left.markdown(
            f"**{html_escape(d.browser)}**{badge}  \n"
            f"<span class='fb-muted'>first seen {ctx.fmt.moment(d.first_seen)} · "
            f"last seen {ctx.fmt.ago(d.last_seen)} · {kept}</span>",
            unsafe_allow_html=True,
        )
        if not d.current and right.button("Sign out", key=f"sign_out_device_{d.id}", icon=":material/logout:"):
            with shown_errors():
                devices.sign_out_device(ctx.engine, ctx.user.id, d.id)
                _done(f"Signed out {d.browser}.")
    return next((d for d in mine if d.current), None)

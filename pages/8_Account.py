"""Your account: your name, your password, and the devices signed in to your account."""

import streamlit as st

from budget_app.account_views import SIGNED_OUT_EVERYWHERE, device_list, name_form, password_form
from budget_app.errors import page_errors, shown_errors
from budget_app.frame import frame, sign_out
from budget_core.services import devices

ctx = frame("Your account")

with page_errors():
    st.markdown("## Your account")
    st.caption(f"Signed in as `{ctx.user.email.replace(chr(96), chr(39))}`")
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("#### Your name")
        name_form(ctx)
        st.markdown("#### Password")
        password_form(ctx)
    with right:
        st.markdown("#### Where you are signed in")
        device_list(ctx)
        if st.button("Sign out everywhere", key="sign_out_everywhere", icon=":material/devices_off:"):
            with shown_errors():
                devices.end_all(ctx.engine, ctx.user.id, reason="everywhere")
                sign_out(SIGNED_OUT_EVERYWHERE)
        st.caption("Signing out everywhere ends every session of your account, on every phone and computer.")

"""Family: who is in it, their roles, invitations and password reset links (managers change them)."""

import streamlit as st

from budget_app.errors import page_errors, shown_errors
from budget_app.family_views import invitations_list, invite_form, member_manager, members_list, reset_links
from budget_app.frame import frame
from budget_core.services import invitations, members

ctx = frame("Family")

with page_errors():
    st.markdown("## Family")
    with shown_errors():
        people = members.list_members(ctx.access)
        members_list(people, ctx.fmt)
        if not ctx.is_manager:
            st.info("Only managers can invite people, change roles or remove members.", icon=":material/lock:")
            st.stop()
        member_manager(ctx, people)
        st.markdown("#### Invite someone")
        invite_form(ctx)
        st.markdown("#### Invitations")
        invitations_list(ctx, invitations.list_invitations(ctx.access))
        st.markdown("#### Forgotten passwords")
        reset_links(ctx, people)

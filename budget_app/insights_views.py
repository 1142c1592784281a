"""Insights page pieces: the export downloads.

A download's bytes are made only in a page run, after the frame checked the session and the
membership in that same run — never by a callable that Streamlit would call later, outside any run
(it would read the family for a session that has ended or a member who was removed). "Prepare"
makes the file in the run its click starts; the file is kept for the family's version and range it
was made for, and any change to the family (a removal included) asks for a new one.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from budget_core.analytics import export

from .errors import shown_errors

PREPARED = "fb_insights_file_"


def downloads(ctx, date_from: date, date_to: date) -> None:
    """A "Prepare CSV / Parquet" button each, which becomes the download once the file is made."""
    left, right = st.columns(2)
    for column, fmt in ((left, "csv"), (right, "parquet")):
        wanted = (ctx.access.user_id, ctx.family.id, ctx.family.version, fmt, date_from, date_to)
        prepared = st.session_state.get(PREPARED + fmt)
        if prepared is not None and prepared[0] == wanted:
            column.download_button(
                f"Download {fmt.upper()} ({len(prepared[1]) / 1024:,.0f} KB)",
                key=f"insights_{fmt}",
                on_click="ignore",
                data=prepared[1],
                file_name=export.file_name(ctx.family.name, fmt, date_from, date_to),
                mime=export.MEDIA_TYPES[fmt],
                icon=":material/download:",
            )
            continue
        st.session_state.pop(PREPARED + fmt, None)  # made for another version or range: gone
        if column.button(f"Prepare {fmt.upper()}", key=f"insights_prepare_{fmt}"):
            with shown_errors(column):
                st.session_state[PREPARED + fmt] = (wanted, export.export_bytes(ctx.access, fmt, date_from, date_to))
                st.rerun()

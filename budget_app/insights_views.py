"""Downloads made in a checked run (the Insights exports, the Transactions search).

A download's bytes are made only in a page run, after the frame checked the session and the
membership in that same run — never by a callable that Streamlit would call later, outside any run
(it would read the family for a session that has ended or a member who was removed). "Prepare"
makes the file in the run its click starts; the file is kept for the family's version and range it
was made for, and any change to the family (a removal included) asks for a new one.
"""

from __future__ import annotations

from datetime import date
from functools import partial

import streamlit as st

from budget_core.analytics import export

from .errors import shown_errors

PREPARED = "fb_insights_file_"


def checked_download(column, key: str, what: str, wanted: tuple, make, file_name: str, mime: str) -> None:
    """A "Prepare <what>" button that becomes "Download <what>" once ``make()`` made the bytes in
    the run its click started; kept while ``wanted`` (who, family, version, what was asked) holds."""
    prepared = st.session_state.get(PREPARED + key)
    if prepared is not None and prepared[0] == wanted:
        column.download_button(
            f"Download {what} ({len(prepared[1]) / 1024:,.0f} KB)",
            key=f"{key}_download",
            on_click="ignore",
            data=prepared[1],
            file_name=file_name,
            mime=mime,
            icon=":material/download:",
        )
        return
    st.session_state.pop(PREPARED + key, None)  # made for another version or question: gone
    if column.button(f"Prepare {what}", key=f"{key}_prepare"):
        with shown_errors(column):
            st.session_state[PREPARED + key] = (wanted, make())
            st.rerun()


def downloads(ctx, date_from: date, date_to: date) -> None:
    """A "Prepare CSV / Parquet" button each, which becomes the download once the file is made."""
    left, right = st.columns(2)
    for column, fmt, what in ((left, "csv", "CSV"), (right, "parquet", "Parquet")):
        checked_download(
            column,
            f"insights_{fmt}",
            what,
            (ctx.access.user_id, ctx.family.id, ctx.family.version, fmt, date_from, date_to),
            partial(export.export_bytes, ctx.access, fmt, date_from, date_to),
            export.file_name(ctx.family.name, fmt, date_from, date_to),
            export.MEDIA_TYPES[fmt],
        )

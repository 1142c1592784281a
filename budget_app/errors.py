"""The one place the app turns errors into messages a person can act on.

``shown_errors()`` wraps a page body or an action: a ``BudgetError`` becomes ``st.error`` with its
message; a lost database connection becomes one calm offline message. Nothing else is caught, so
programming errors still surface in logs (and ``client.showErrorDetails = "none"`` keeps
tracebacks out of the browser).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.exc import InterfaceError, OperationalError

from budget_core.errors import BudgetError, Unavailable

from .format import inert

OFFLINE = (
    "We can't reach the family's database right now. Nothing you typed is lost: "
    "it stays in the form — try again in a moment."
)
OFFLINE_SAVED = "Saved on this device; it will reach the family's budget when the database is back."
DB_DOWN = (OperationalError, InterfaceError, Unavailable)


def show_error(err: BaseException, where=None) -> None:
    """Show ``err`` as a message in ``where`` (a container; default the main area)."""
    target = where or st
    if isinstance(err, DB_DOWN):
        target.error(OFFLINE, icon=":material/cloud_off:")
    elif isinstance(err, BudgetError):
        target.error(inert(err.message), icon=":material/error:")  # messages quote people's text and files' cells
    else:  # pragma: no cover - only the types above are passed in
        raise err


@contextmanager
def page_errors() -> Iterator[None]:
    """Around a page's body: the UI's one catch-all. A typed error or a lost connection is shown
    as usual; anything unexpected is logged with a reference (code locations and exception type,
    no personal data) and the person sees that reference to quote, never a traceback."""
    try:
        yield
    except (BudgetError, *DB_DOWN) as err:
        show_error(err)
    except Exception as err:  # the one broad catch of the UI: log it, show a reference
        from budget_core.ops.errorlog import log_unexpected

        ref = log_unexpected(err)
        st.error(
            f"Something went wrong on our side; nothing you typed was lost. If it happens again, "
            f"tell us the reference {ref}.",
            icon=":material/error:",
        )


@contextmanager
def shown_errors(where=None) -> Iterator[None]:
    """Run a block; show BudgetError / a lost connection instead of raising."""
    try:
        yield
    except (BudgetError, *DB_DOWN) as err:
        show_error(err, where)

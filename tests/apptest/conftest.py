"""AppTest fixtures: a helper that opens a page signed in (the household, ``home``, is in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from households import PASSWORD, Household  # noqa: F401 (shared with the other suites; tests import them from here)
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30


@pytest.fixture(autouse=True)
def _stop_watchers(engine):
    yield
    from budget_core import sync
    from budget_core.ops.schedule_poster import stop_poster

    sync.stop_all()
    stop_poster(engine)


def open_page(
    page: str = "today.py", *, user_id: int | None = None, family_id: int | None = None, invite: str | None = None
) -> AppTest:
    """Run ``page`` (a path relative to the repository) as ``user_id`` looking at ``family_id``.

    The app starts at its home page, today.py, as a browser session does, then switches page. A
    signed-in tab holds its device session's row (``session_id``), as after a sign-in.
    """
    at = AppTest.from_file(str(ROOT / "today.py"), default_timeout=TIMEOUT)
    if user_id is not None:
        from budget_core.db.engine import get_engine
        from budget_core.services import devices

        at.session_state["user_id"] = user_id
        at.session_state["session_id"] = devices.begin(get_engine(), user_id, keep=True).session_id
    if family_id is not None:
        at.session_state["family_id"] = family_id
    if invite is not None:
        at.query_params["invite"] = invite
    at.run()
    if page != "today.py":
        at.switch_page(page).run()
    return at


def by_label(widgets, label: str):
    """The one widget with this label."""
    found = [w for w in widgets if w.label == label]
    assert len(found) == 1, f"{len(found)} widgets labelled {label!r}: {[w.label for w in widgets]}"
    return found[0]


def markdown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


__all__ = ["PASSWORD", "open_page", "by_label", "markdown_text", "no_exception"]

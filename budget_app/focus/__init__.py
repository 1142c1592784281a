"""A zero-height component that reports when the page comes back into view.

Browsers throttle timers in hidden tabs (Chrome to about once a minute), so the change poller's
``run_every`` timer alone would leave a member who returns to a tab looking at old figures for up
to a minute. ``returns()`` draws a hidden iframe (``index.html``) that sends a value each time the
document becomes visible again or the window regains focus; a component value is a widget
interaction, so it reruns the page (outside any fragment), which catches up at once.
"""

from __future__ import annotations

from pathlib import Path

import streamlit.components.v1 as components

_component = components.declare_component("focus", path=str(Path(__file__).parent))


def returns(key: str = "fb_focus") -> int:
    """How many times this page has come back into view (0 until the first time)."""
    return _component(key=key, default=0) or 0

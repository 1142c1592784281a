"""A "Copy link" button (and "Share…" where the phone has it) for a link shown on the page.

``st.code`` shows its copy icon only under a mouse; on a phone there is none. This draws a real
button; it copies with the Clipboard API on a secure page (https, localhost) and by selecting a
hidden text box on plain http (an app served on the home network).
"""

from __future__ import annotations

from pathlib import Path

import streamlit.components.v1 as components

_component = components.declare_component("share", path=str(Path(__file__).parent))


def copy_button(url: str, *, title: str, key: str) -> None:
    _component(url=url, title=title, key=key, default=None)

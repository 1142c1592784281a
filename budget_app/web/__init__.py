"""The app's own HTTP routes and middleware, served beside the Streamlit pages by ``st.App``.

``streamlit run app.py`` finds ``app = st.App(...)`` in app.py and serves the pages (Today is
``today.py``, the rest ``pages/``) with these: the device cookie (``auth``), the manifest and icons
(``pwa``), the page-load middleware (``head``) and the anti-framing headers on every response
(``frames``). Nothing here uses a private Streamlit API.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from . import auth, frames, head, pwa


def routes() -> list[BaseRoute]:
    return [*auth.ROUTES, *pwa.ROUTES]


def middleware() -> list[Middleware]:
    return [Middleware(frames.SecurityHeaders), Middleware(head.PageHead)]

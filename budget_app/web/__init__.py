"""The app's own HTTP routes and middleware, served beside the Streamlit pages by ``st.App``.

``streamlit run app.py`` finds ``app = st.App(...)`` in app.py and serves the pages (Today is
``today.py``, the rest ``pages/``) with these: the device cookie (``auth``), the manifest and icons
(``pwa``), the offline app shell (``shell``: service worker, offline entry form) and its JSON API
(``api``), the page-load middleware (``head``) and the anti-framing headers on every response
(``frames``). Nothing here uses a private Streamlit API.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from . import api, auth, frames, head, pwa, shell


def routes() -> list[BaseRoute]:
    return [*auth.ROUTES, *pwa.ROUTES, *shell.ROUTES, *api.ROUTES]


def middleware() -> list[Middleware]:
    return [Middleware(frames.SecurityHeaders), Middleware(head.PageHead)]

"""Family Budget: ``streamlit run app.py`` serves the whole app.

Streamlit finds ``app`` below (a public ``st.App``) and serves the pages — Today (``today.py``, the
home page) and the screens in ``pages/`` — together with the app's own HTTP routes and middleware
(``budget_app/web``): the device-session cookie, the web app manifest and icons. This file is only
the launcher: no page runs it.
"""

import streamlit as st

from budget_app import web

app = st.App("today.py", routes=web.routes(), middleware=web.middleware())

"""Links sent to other people (invitations, password resets): built from the address in use, shown
with a copy button, a QR code and their expiry in the family's time zone.

The address is the one the person making the link is using: the browser's (``st.context.url``), or
without one the ``Host`` / ``X-Forwarded-Host`` / ``X-Forwarded-Proto`` headers of the page's
request; ``BUDGET_PUBLIC_URL`` overrides both (``budget_core.config.link_base``). When that address
is the machine itself (localhost, 127.0.0.1, ::1), nobody on another device can open the link, and
the page says so and how to fix it.
"""

from __future__ import annotations

import io
import ipaddress
from datetime import datetime
from urllib.parse import urlsplit

import streamlit as st

from budget_core.config import link_base

from .format import Fmt
from .share import copy_button

LOOPBACK_HELP = (
    "This link starts with {host}, which means “this computer”: it works only on the machine running the "
    "app. To let people open it on their phones, start the app with `--server.address 0.0.0.0` and open it "
    "through this computer's network address (for example `http://192.168.1.20:8501`), or set "
    "`BUDGET_PUBLIC_URL` to the address everyone uses, then make a new link."
)


def _base_path() -> str:
    raw = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{raw}" if raw else ""


def browser_address() -> str | None:
    """scheme://host[:port] plus the app's base path, as this person's browser reaches the app."""
    try:
        url = st.context.url
    except Exception:  # noqa: BLE001 - no browser connection (AppTest)
        url = None
    if url:
        parts = urlsplit(url)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}{_base_path()}"
    try:
        headers = st.context.headers
    except Exception:  # noqa: BLE001 - no browser connection (AppTest)
        return None
    host = (headers.get("X-Forwarded-Host") or headers.get("Host") or "").split(",")[0].strip()
    if not host:
        return None
    scheme = (headers.get("X-Forwarded-Proto") or "http").split(",")[0].strip()
    return f"{scheme}://{host}{_base_path()}"


def base_url() -> str:
    """Where links start: ``BUDGET_PUBLIC_URL``, else the browser's address, else localhost."""
    return link_base(browser_address())


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def qr_png(url: str) -> bytes:
    """The link as a QR code (PNG), black on white with the quiet zone phones need."""
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=3)
    return out.getvalue()


def share_link(url: str, *, expires_at: datetime, fmt: Fmt, lead: str, key: str) -> None:
    """Show a link to send: what it is for (``lead``), its expiry in the family's time zone, the link
    with a copy button, its QR code, and a plain warning when it only works on this machine."""
    until = f"{fmt.moment(expires_at)} ({fmt.timezone})"
    st.success(f"{lead} It works once, until {until}.", icon=":material/link:")
    if is_loopback(url):
        st.warning(LOOPBACK_HELP.format(host=urlsplit(url).netloc), icon=":material/wifi_off:")
    text, code = st.columns([3, 1], vertical_alignment="center")
    with text:
        st.code(url, language=None, wrap_lines=True)
        copy_button(url, title="Family Budget", key=key)
        st.caption("Send it by message or e-mail, or let them scan the code with their phone's camera.")
    with code:
        st.image(qr_png(url), width=180, caption="Scan to open")

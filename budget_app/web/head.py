"""Middleware around every page load: the tags that make the app installable, and the cookie's renewal.

Streamlit serves one HTML document for every page (``/``, ``/Transactions`` …). For those responses
this adds, before ``</head>``, the manifest link, the apple-touch-icon, the theme colour and the
tags that let a phone open the installed app full-screen (``HEAD``). A page load that carries a
device cookie of a session kept on the device also gets the cookie again with a fresh
``Max-Age``: the session's expiry slides in the database (``devices.renew``) and the browser's
with it. Only page loads are touched (GET, no file extension, outside Streamlit's own paths), and
for them the response is asked for uncompressed, so the document can be edited; every other
request passes through untouched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.responses import Response

from budget_core.services import devices

from ..errors import DB_DOWN
from . import http, pwa, shell

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

NOT_PAGES = ("/_stcore/", "/static/", "/component/", "/media/", "/app/", "/auth/", "/api/", "/icons/", "/shell/")


def head_tags(base: str) -> str:
    return (
        f'<link rel="manifest" href="{base}/manifest.webmanifest">'
        f'<link rel="apple-touch-icon" href="{base}/icons/apple-touch-icon.png">'
        f'<meta name="theme-color" content="{pwa.THEME}">'
        '<meta name="mobile-web-app-capable" content="yes">'
        '<meta name="apple-mobile-web-app-capable" content="yes">'
        f'<meta name="apple-mobile-web-app-title" content="{pwa.SHORT_NAME}">' + shell.script_tag(base)
    )


def _renew(token: str) -> devices.Cookie | None:
    try:
        return devices.renew(http.engine(), token)
    except DB_DOWN:  # the page loads anyway and says the database is away; nothing to renew now
        return None


def is_page_load(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    path = scope["path"]
    base = http.base_path()
    if base and path.startswith(base):
        path = path[len(base) :] or "/"
    if path.startswith(NOT_PAGES):
        return False
    return "." not in path.rsplit("/", 1)[-1]


class PageHead:
    """ASGI middleware: see the module's docstring."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_page_load(scope):
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        conn = HTTPConnection(scope)
        token = conn.cookies.get(http.COOKIE)
        renewed = await run_in_threadpool(_renew, token) if token else None
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def edit(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                start["html"] = headers.get(b"content-type", b"").startswith(b"text/html")
                start["message"] = message
                if not start["html"]:
                    await send(self._with_cookie(message, renewed, conn))
                return
            if not start.get("html"):
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks).replace(b"</head>", head_tags(http.base_path()).encode() + b"</head>", 1)
            first = dict(start["message"])
            first["headers"] = [(k, v) for k, v in first.get("headers", []) if k.lower() != b"content-length"]
            first["headers"].append((b"content-length", str(len(body)).encode()))
            await send(self._with_cookie(first, renewed, conn))
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, edit)

    @staticmethod
    def _with_cookie(message: Message, renewed: devices.Cookie | None, conn: HTTPConnection) -> Message:
        if renewed is None:
            return message
        carrier = Response()
        http.set_device_cookie(carrier, renewed, conn)
        message = dict(message)
        message["headers"] = [
            *message.get("headers", []),
            *[(k, v) for k, v in carrier.raw_headers if k == b"set-cookie"],
        ]
        return message

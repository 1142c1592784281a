"""The app shell that works without a connection: a service worker, an offline page, the outbox script.

``GET /sw.js`` (at the app's root, so its scope covers every page; ``Service-Worker-Allowed`` says so
too) caches ``GET /shell/offline.html`` — the quick-entry form and the entries waiting on the
device — and answers with it when a page cannot be loaded. ``/shell/outbox.js`` keeps the entries in
IndexedDB and sends them to the JSON API (``api``); ``/shell/app.js`` registers the worker, keeps
the form's categories fresh while online and sends the waiting entries when the connection returns.
The pages load ``app.js`` through the tags ``head`` adds. The files live beside this module
(``shell/``); ``__BASE__`` in them becomes the app's base path and ``__VERSION__`` a digest of
their contents, so a new release replaces the cached shell.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import http

FILES = Path(__file__).with_name("shell")
TYPES = {"offline.html": "text/html; charset=utf-8", "app.js": "text/javascript", "outbox.js": "text/javascript"}


@lru_cache(maxsize=1)
def version() -> str:
    digest = hashlib.sha256()
    for name in sorted([*TYPES, "sw.js"]):
        digest.update((FILES / name).read_bytes())
    return digest.hexdigest()[:12]


@lru_cache(maxsize=16)
def _text(name: str, base: str) -> bytes:
    raw = (FILES / name).read_text(encoding="utf-8")
    return raw.replace("__BASE__", base).replace("__VERSION__", version()).encode()


def script_tag(base: str) -> str:
    """The tags a page needs to run the shell (``head`` adds them to every page load)."""
    return (
        f'<script>self.FB_BASE = "{base}";</script>'
        f'<script defer src="{base}/shell/outbox.js?v={version()}"></script>'
        f'<script defer src="{base}/shell/app.js?v={version()}"></script>'
    )


async def service_worker(request: Request) -> Response:
    base = http.base_path()
    return Response(
        _text("sw.js", base),
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": f"{base}/", "Cache-Control": "no-cache"},
    )


async def shell_file(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in TYPES:
        return http.refuse(404, "No such file.")
    return Response(_text(name, http.base_path()), media_type=TYPES[name], headers={"Cache-Control": "no-cache"})


ROUTES = [
    Route("/sw.js", service_worker, methods=["GET"]),
    Route("/shell/{name}", shell_file, methods=["GET"]),
]

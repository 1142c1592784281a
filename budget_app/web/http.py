"""What the app's own HTTP routes share: the engine, the device cookie, the same-origin check.

The device cookie (``fb_device``) holds a session's token: HttpOnly (no script reads it),
``SameSite=Lax`` (a cross-site POST does not carry it), ``Secure`` when the page is served over
HTTPS (directly or behind a proxy that says so in ``X-Forwarded-Proto``), ``Path`` the app's base
path; ``Max-Age`` 30 days for a session kept on the device, none (it ends with the browser) otherwise.

Every route that changes something is a POST with a JSON body whose ``Origin`` must be the app's
own: the address the request was sent to (``Host``, or ``X-Forwarded-Host`` behind a proxy) or
``BUDGET_PUBLIC_URL``. A form on another site cannot send JSON without a CORS preflight, which these
routes never grant, and its POST carries no Lax cookie; the Origin check refuses the rest.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from budget_core.config import settings
from budget_core.services.devices import Cookie

COOKIE = "fb_device"


def engine() -> Engine:
    """The process's app engine (the same one the pages use)."""
    from budget_core.db.engine import get_engine

    return get_engine()


def base_path() -> str:
    """The app's path prefix (``server.baseUrlPath``), '' at the root."""
    from streamlit import config

    raw = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{raw}" if raw else ""


def is_https(conn: HTTPConnection) -> bool:
    forwarded = conn.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return conn.url.scheme in ("https", "wss") or forwarded == "https"


def own_origins(conn: HTTPConnection) -> set[str]:
    """The origins a request from the app's own pages can carry."""
    host = conn.headers.get("x-forwarded-host", "").split(",")[0].strip() or conn.headers.get("host", "")
    scheme = "https" if is_https(conn) else "http"
    origins = {f"{scheme}://{host}".lower()}
    public = settings().public_url
    if public:
        parts = urlsplit(public)
        origins.add(f"{parts.scheme}://{parts.netloc}".lower())
    return origins


def same_origin(request: Request) -> bool:
    origin = (request.headers.get("origin") or "").lower()
    return bool(origin) and origin != "null" and origin in own_origins(request)


def refuse(status: int, reason: str, **headers: str) -> JSONResponse:
    """A one-line reason a person (or the offline page) can show, with the status that says what went wrong."""
    return JSONResponse({"error": reason}, status_code=status, headers=headers or None)


async def json_body(request: Request, limit: int = 16_384) -> dict[str, Any]:
    """The request's JSON object; ValueError with a one-line reason when it is not one."""
    if not request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json":
        raise ValueError("Send the request as JSON (Content-Type: application/json).")
    raw = await request.body()
    if len(raw) > limit:
        raise ValueError("The request is too large.")
    try:
        data = json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("The request is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ValueError("Send a JSON object.")
    return data


def set_device_cookie(response: Response, cookie: Cookie, conn: HTTPConnection) -> None:
    response.set_cookie(
        COOKIE,
        cookie.token,
        max_age=cookie.max_age,
        path=base_path() or "/",
        httponly=True,
        samesite="lax",
        secure=is_https(conn),
    )


def clear_device_cookie(response: Response, conn: HTTPConnection) -> None:
    response.delete_cookie(COOKIE, path=base_path() or "/", httponly=True, samesite="lax", secure=is_https(conn))


@lru_cache(maxsize=1)
def no_store() -> dict[str, str]:
    return {"Cache-Control": "no-store"}

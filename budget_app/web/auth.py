"""The routes that write and clear the device cookie (a page run over the WebSocket cannot).

``POST /auth/device`` {"ticket": …}: the page that just signed someone in hands over its one-time
ticket (``devices.begin``); the answer sets the HttpOnly cookie with the session's token.
``POST /auth/sign-out``: ends the session the cookie names (if it is still live) and clears the cookie.
Both refuse a request whose Origin is not the app's own (see ``http``); neither says anything about
an account.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from budget_core.errors import PermissionDenied
from budget_core.services import devices

from . import http

FOREIGN = "This request did not come from the app's own pages."


async def device(request: Request) -> Response:
    if not http.same_origin(request):
        return http.refuse(403, FOREIGN)
    try:
        ticket = (await http.json_body(request)).get("ticket")
    except ValueError as err:
        return http.refuse(400, str(err))
    if not isinstance(ticket, str) or not ticket:
        return http.refuse(400, "Send the sign-in ticket the page gave you.")
    try:
        cookie = await run_in_threadpool(
            devices.redeem_ticket, http.engine(), ticket, user_agent=request.headers.get("user-agent")
        )
    except PermissionDenied as err:
        return http.refuse(403, err.message)
    response = JSONResponse({"ok": True, "kept": cookie.keep}, headers=http.no_store())
    http.set_device_cookie(response, cookie, request)
    return response


async def sign_out(request: Request) -> Response:
    if not http.same_origin(request):
        return http.refuse(403, FOREIGN)
    token = request.cookies.get(http.COOKIE)
    if token:
        await run_in_threadpool(devices.end, http.engine(), token=token, reason="sign-out")
    response = JSONResponse({"ok": True}, headers=http.no_store())
    http.clear_device_cookie(response, request)
    return response


ROUTES = [
    Route("/auth/device", device, methods=["POST"]),
    Route("/auth/sign-out", sign_out, methods=["POST"]),
]

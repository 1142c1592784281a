"""Headers every HTTP response carries: only the app itself may frame its pages —
``X-Frame-Options: SAMEORIGIN`` and ``Content-Security-Policy: frame-ancestors 'self'`` on every
response (pages, static files, the health check) — so no other site can show the app in a frame and
trick a member into clicking inside it, while the app's own components (the device cookie, focus,
the browser helper, served from the app's origin in frames of its pages) still load. It is pure ASGI, so
WebSocket traffic passes through untouched.
"""

from __future__ import annotations

from typing import Any

ANTI_FRAMING = (
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"content-security-policy", b"frame-ancestors 'self'"),
)


class SecurityHeaders:
    """ASGI middleware adding :data:`ANTI_FRAMING` to every HTTP response (replacing any such header)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict) -> None:
            if message.get("type") == "http.response.start":
                names = {name for name, _ in ANTI_FRAMING}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": headers + list(ANTI_FRAMING)}
            await send(message)

        await self.app(scope, receive, with_headers)

"""Add to home screen: the web app manifest and its icons.

``GET /manifest.webmanifest`` names the app, its icons (192 and 512 px, and a maskable 512 px one for
Android's shaped icons), theme colour, ``display: standalone`` and start URL; the pages link to it
(``head.HEAD``), with an apple-touch-icon for iOS. The icons are drawn once per process with Pillow
(a piggy bank on the app's green), so no binary files live in the repository.
"""

from __future__ import annotations

import io
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import http

NAME = "Family Budget"
SHORT_NAME = "Budget"
THEME = "#2f7d57"
BACKGROUND = "#fbfcfb"
ICONS = {
    "icon-192.png": (192, False),
    "icon-512.png": (512, False),
    "maskable-512.png": (512, True),
    "apple-touch-icon.png": (180, True),
}


def manifest_data(base: str) -> dict:
    return {
        "name": NAME,
        "short_name": SHORT_NAME,
        "description": "How much can we still spend today? The family's shared budget.",
        "id": f"{base}/",
        "start_url": f"{base}/",
        "scope": f"{base}/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME,
        "background_color": BACKGROUND,
        "icons": [
            {"src": f"{base}/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": f"{base}/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": f"{base}/icons/maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }


async def manifest(request: Request) -> Response:
    return JSONResponse(
        manifest_data(http.base_path()),
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@lru_cache(maxsize=8)
def icon_png(size: int, full_bleed: bool) -> bytes:
    """The app's icon as a PNG ``size`` px square. ``full_bleed`` fills the square (maskable icons and
    iOS, which round the corners themselves); otherwise the green is a rounded square on transparency."""
    from PIL import Image, ImageDraw

    scale = 4  # draw large, shrink: smooth edges without an anti-aliasing library
    side = size * scale
    img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    green, light, white = (0x2F, 0x7D, 0x57, 255), (0xD5, 0xE8, 0xDD, 255), (255, 255, 255, 255)
    if full_bleed:
        draw.rectangle((0, 0, side, side), fill=green)
    else:
        draw.rounded_rectangle((0, 0, side - 1, side - 1), radius=side // 5, fill=green)
    # a piggy bank in white, inside the maskable safe zone (the middle 80 %), with a coin going in
    u = side / 100
    draw.ellipse((22 * u, 36 * u, 74 * u, 74 * u), fill=white)  # body
    draw.polygon([(36 * u, 40 * u), (40 * u, 27 * u), (49 * u, 37 * u)], fill=white)  # ear
    draw.rounded_rectangle((70 * u, 48 * u, 80 * u, 60 * u), radius=3 * u, fill=white)  # snout
    for x in (30, 56):  # legs
        draw.rounded_rectangle((x * u, 66 * u, (x + 8) * u, 80 * u), radius=2.5 * u, fill=white)
    draw.line((22 * u, 52 * u, 16 * u, 46 * u), fill=white, width=int(3 * u))  # tail
    draw.ellipse((58 * u, 46 * u, 63 * u, 51 * u), fill=green)  # eye
    draw.rounded_rectangle((40 * u, 39 * u, 56 * u, 43 * u), radius=2 * u, fill=green)  # coin slot
    draw.ellipse((44 * u, 15 * u, 56 * u, 27 * u), fill=light)  # the coin
    draw.ellipse((47.5 * u, 18.5 * u, 52.5 * u, 23.5 * u), fill=green)
    out = io.BytesIO()
    img.resize((size, size), Image.Resampling.LANCZOS).save(out, format="PNG", optimize=True)
    return out.getvalue()


async def icon(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ICONS:
        return http.refuse(404, "No such icon.")
    size, full_bleed = ICONS[name]
    return Response(
        icon_png(size, full_bleed), media_type="image/png", headers={"Cache-Control": "public, max-age=86400"}
    )


ROUTES = [
    Route("/manifest.webmanifest", manifest, methods=["GET"]),
    Route("/icons/{name}", icon, methods=["GET"]),
]

"""The dashboard as an installable web app (PWA): ``GET /manifest.webmanifest``,
``GET /sw.js`` (the service worker) and ``GET /offline`` (the page it shows without a network).

They are routes, not static files, because what they name depends on where the app is mounted
(``pages.mount_path``): the service worker's default scope is the folder it is served from, so
``{base}/sw.js`` covers every dashboard page under ``{base}/``. The worker caches only this
version's static files and the offline page, never a page or an API answer (they hold data).
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.entrypoints.http.mount import mount_path
from wa_crm.entrypoints.http.pages import (
    ASSET_VERSION,
    SECURITY_HEADERS,
    STATIC_DIR,
    TEMPLATES_DIR,
    VERSIONED_STATIC,
    _render,
    pick_locale,
)
from wa_crm.entrypoints.http.strings import DEFAULT_LOCALE, STRINGS

# app.css's --accent (the brand) and --bg (the page behind the panes)
THEME_COLOUR = "#0f766e"
BACKGROUND_COLOUR = "#f4f5f7"
ICONS = (
    ("pwa/icon-192.png", "192x192", "any"),
    ("pwa/icon-512.png", "512x512", "any"),
    ("pwa/icon-maskable-512.png", "512x512", "maskable"),
)
WORKER_SOURCE = (TEMPLATES_DIR / "pwa" / "sw.js").read_text(encoding="utf-8")


def _static_files(directory: Path) -> list[str]:
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


STATIC_FILES = _static_files(STATIC_DIR)


async def manifest(request: Request) -> Response:
    """The web app manifest, in the browser's language (``?lang=`` overrides it)."""
    base = mount_path(request)
    strings = STRINGS[pick_locale(request)]
    body = {
        "id": f"{base}/",
        "name": strings["app_name"],
        "short_name": strings["app_name"],
        "description": strings["app_description"],
        "lang": pick_locale(request),
        "start_url": f"{base}/",
        "scope": f"{base}/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {
                "src": f"{base}{VERSIONED_STATIC}/{src}",
                "sizes": sizes,
                "type": "image/png",
                "purpose": purpose,
            }
            for src, sizes, purpose in ICONS
        ],
    }
    return JSONResponse(body, media_type="application/manifest+json", headers=SECURITY_HEADERS)


async def service_worker(request: Request) -> Response:
    """The service worker: the offline page and this version's static files, nothing else."""
    base = mount_path(request)
    static = f"{base}{VERSIONED_STATIC}/"
    config = {
        "version": ASSET_VERSION,
        "offline": f"{base}/offline",
        "static": static,
        "assets": [static + name for name in STATIC_FILES],
    }
    source = f"const CONFIG = {json.dumps(config)};\n{WORKER_SOURCE}"
    return Response(source, media_type="text/javascript", headers=SECURITY_HEADERS)


async def offline_page(request: Request) -> Response:
    """What the service worker shows when a page cannot be reached: in pt-BR, then English."""
    return _render(
        "offline.html",
        locale=DEFAULT_LOCALE,
        t=STRINGS[DEFAULT_LOCALE],
        t_en=STRINGS["en"],
        base=mount_path(request),
    )


routes = [
    Route("/manifest.webmanifest", manifest, methods=["GET"]),
    Route("/sw.js", service_worker, methods=["GET"]),
    Route("/offline", offline_page, methods=["GET"]),
]

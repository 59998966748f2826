"""The field app's public files: manifest, icons, stylesheet and service worker.

Public because the browser fetches a manifest and its icons without the session cookie, and
none of them says anything about anyone. The service worker is the ``field_sw`` bundle, served
at /app/field/sw.js with ``Service-Worker-Allowed: /app/field`` so it may control the page at
/app/field itself (a script's default scope stops at its own folder, /app/field/).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse, Response

from backend.errors import NotFound
from backend.web.bundles import bundle_path
from backend.web.field.icons import SIZES, icon_png

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
SCOPE = "/app/field"
THEME = "#166534"

router = APIRouter(prefix="/app/field", tags=["field"])

_NO_SNIFF = {"X-Content-Type-Options": "nosniff"}


@router.get("/manifest.webmanifest", include_in_schema=False)
def manifest() -> JSONResponse:
    """The web app manifest: installable from Chrome on Android, opening at /app/field."""
    icons = [
        {"src": f"{SCOPE}/icons/{size}.png", "sizes": f"{size}x{size}", "type": "image/png"}
        for size in SIZES
    ] + [
        {
            "src": f"{SCOPE}/icons/{size}-maskable.png",
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "maskable",
        }
        for size in SIZES
    ]
    body = {
        "name": "SenTrace · Sổ đồng ruộng",
        "short_name": "Sổ đồng ruộng",
        "description": "Ghi chép thu hoạch, phun bón, kiểm tra chất lượng kể cả khi không có sóng",
        "lang": "vi",
        "start_url": SCOPE,
        "scope": SCOPE,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f7faf7",
        "theme_color": THEME,
        "icons": icons,
    }
    return JSONResponse(
        body,
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache", **_NO_SNIFF},
    )


@router.get("/icons/{name}.png", include_in_schema=False)
def icon(name: str) -> Response:
    """``192.png``, ``512.png`` and their ``-maskable`` forms."""
    size_text, _, purpose = name.partition("-")
    if not size_text.isdigit() or int(size_text) not in SIZES or purpose not in ("", "maskable"):
        raise NotFound("no such icon")
    return Response(
        icon_png(int(size_text), maskable=purpose == "maskable"),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400", **_NO_SNIFF},
    )


@router.get("/field.css", include_in_schema=False)
def stylesheet() -> FileResponse:
    """The field app's stylesheet (revalidated: the service worker keeps the offline copy)."""
    return FileResponse(
        STATIC_DIR / "field.css",
        media_type="text/css",
        headers={"Cache-Control": "no-cache", **_NO_SNIFF},
    )


@router.get("/sw.js", include_in_schema=False)
def service_worker() -> FileResponse:
    """The service worker, allowed to control everything under /app/field."""
    return FileResponse(
        bundle_path("field_sw"),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": SCOPE, **_NO_SNIFF},
    )

"""The operator app's stylesheet, served by the app itself (no CDN, works offline)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

router = APIRouter(prefix="/app/static", tags=["operator"])


@router.get("/app.css", include_in_schema=False)
def stylesheet() -> FileResponse:
    """The one stylesheet; cached for a day (the file changes only with a release)."""
    return FileResponse(
        STATIC_DIR / "app.css",
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=86400"},
    )

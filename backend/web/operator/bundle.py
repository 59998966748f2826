"""The operator app's script bundle, served from this server's own origin.

The pages' CSP allows scripts only from ``'self'``, and signing must work offline, so the
bundle (built by ``scripts/build_web.py`` from backend/web/assets during ``make bootstrap``)
is served here, never from a CDN. It is not committed; a server started without it would
show forms that cannot be signed, so importing this router (at app creation) fails instead.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from backend.errors import NotFound
from backend.web.bundles import BUILD_DIR, ENTRIES, bundle_path, served_files

BUNDLE = bundle_path("app")
#: The files of a build, and how each is served.
SERVED = served_files()


class BundleMissing(RuntimeError):
    """The browser bundle was not built (the operator app cannot sign without it)."""


def require_bundle() -> Path:
    """The operator bundle; BundleMissing, saying how to build it, when any bundle is missing."""
    for path in (BUNDLE, *(bundle_path(name) for name in ENTRIES)):
        if not path.is_file():
            raise BundleMissing(
                f"{path} is missing: build it with `make bootstrap` "
                "(or `npm ci && python scripts/build_web.py`)"
            )
    return BUNDLE


require_bundle()

router = APIRouter(prefix="/app/static/build", tags=["operator"])


@router.get("/{name}", include_in_schema=False)
def bundle_file(name: str) -> FileResponse:
    """A file of the build; revalidated on every use (its ETag changes with each build)."""
    media_type = SERVED.get(name)
    if media_type is None or not (BUILD_DIR / name).is_file():
        raise NotFound("no such file")
    return FileResponse(
        BUILD_DIR / name,
        media_type=media_type,
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )

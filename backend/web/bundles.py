"""The browser bundles the project builds with esbuild, and the names they are served under.

One list read by both sides: ``scripts/build_web.py`` builds each entry from backend/web/assets
into backend/web/static/build/<name>.js, and the server serves exactly those files (and their
source maps and licence notes) from its own origin, so a page's CSP can allow scripts from
``'self'`` alone and nothing is ever fetched from a CDN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

WEB_DIR: Final = Path(__file__).resolve().parent
ASSETS_DIR: Final = WEB_DIR / "assets"
BUILD_DIR: Final = WEB_DIR / "static" / "build"

#: Served name (without ``.js``) → entry module, relative to backend/web/assets.
ENTRIES: Final[dict[str, str]] = {
    # The operator app: signed form posts, the key pages.
    "app": "app.js",
    # The consumer page's own check of the record against the chain, in the phone.
    "verify": "verify/main.js",
    # The field app (/app/field): offline queue, signing on the phone; and its service worker.
    "field": "field/main.js",
    "field_sw": "field/sw.js",
}

#: Suffix of a build output → media type it is served with.
OUTPUT_KINDS: Final[dict[str, str]] = {
    ".js": "text/javascript",
    ".js.map": "application/json",
    ".js.LEGAL.txt": "text/plain",
}


def served_files() -> dict[str, str]:
    """Every file name a build writes, with its media type."""
    return {
        f"{name}{suffix}": media_type
        for name in ENTRIES
        for suffix, media_type in OUTPUT_KINDS.items()
    }


def bundle_path(name: str) -> Path:
    """Where the bundle ``name`` (a key of ENTRIES) is built."""
    return BUILD_DIR / f"{name}.js"

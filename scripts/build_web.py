"""Bundles the project's browser code (backend/web/assets) with esbuild.

Run by ``make bootstrap`` after ``npm ci``; writes one ES module per entry of
``backend.web.bundles.ENTRIES`` into backend/web/static/build/ (minified, with a source map),
which the server serves from its own origin. The output is not committed: it is rebuilt from
the sources and the locked npm packages.

    python scripts/build_web.py [--check]

``--check`` only says whether every bundle is there and newer than every source.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.web.bundles import ASSETS_DIR, BUILD_DIR, ENTRIES, bundle_path  # noqa: E402

ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"
# Chromium and Safari versions of the last few years: BigInt, optional chaining, <dialog>.
TARGETS = "es2020,chrome100,safari15,firefox100"


def sources() -> list[Path]:
    return [*sorted(ASSETS_DIR.rglob("*.js")), ROOT / "package-lock.json"]


def up_to_date() -> bool:
    bundles = [bundle_path(name) for name in ENTRIES]
    if not all(bundle.exists() for bundle in bundles):
        return False
    built = min(bundle.stat().st_mtime for bundle in bundles)
    return all(path.stat().st_mtime <= built for path in sources())


def build_one(name: str, entry: str) -> Path:
    bundle = bundle_path(name)
    command = [
        str(ESBUILD),
        str(ASSETS_DIR / entry),
        "--bundle",
        "--format=esm",
        "--minify",
        "--sourcemap",
        "--legal-comments=linked",
        f"--target={TARGETS}",
        f"--outfile={bundle}",
        "--log-level=warning",
    ]
    subprocess.run(command, check=True, cwd=ROOT)
    return bundle


def build() -> list[Path]:
    if not ESBUILD.exists():
        sys.exit(f"{ESBUILD} is missing: run `npm ci` (or `make bootstrap`) first")
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    return [build_one(name, entry) for name, entry in ENTRIES.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the bundle is current")
    args = parser.parse_args()
    if args.check:
        if not up_to_date():
            sys.exit(f"{BUILD_DIR.relative_to(ROOT)} is missing a bundle or older than its sources")
        return
    for bundle in build():
        size = bundle.stat().st_size
        zipped = len(gzip.compress(bundle.read_bytes(), compresslevel=9))
        print(f"{bundle.relative_to(ROOT)}: {size / 1024:.1f} KiB, {zipped / 1024:.1f} KiB gzipped")


if __name__ == "__main__":
    main()

"""Bundles the operator app's browser code (backend/web/assets) with esbuild.

Run by ``make bootstrap`` after ``npm ci``; writes backend/web/static/build/app.js (an ES module,
minified, with a source map), which the server serves from its own origin. The output is not
committed: it is rebuilt from the sources and the locked npm packages.

    python scripts/build_web.py [--check]

``--check`` only says whether the bundle is there and newer than every source.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "backend" / "web" / "assets"
OUT_DIR = ROOT / "backend" / "web" / "static" / "build"
ENTRY = ASSETS / "app.js"
BUNDLE = OUT_DIR / "app.js"
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"
# Chromium and Safari versions of the last few years: BigInt, optional chaining, <dialog>.
TARGETS = "es2020,chrome100,safari15,firefox100"


def sources() -> list[Path]:
    return [*sorted(ASSETS.glob("*.js")), ROOT / "package-lock.json"]


def up_to_date() -> bool:
    if not BUNDLE.exists():
        return False
    built = BUNDLE.stat().st_mtime
    return all(path.stat().st_mtime <= built for path in sources())


def build() -> Path:
    if not ESBUILD.exists():
        sys.exit(f"{ESBUILD} is missing: run `npm ci` (or `make bootstrap`) first")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    command = [
        str(ESBUILD),
        str(ENTRY),
        "--bundle",
        "--format=esm",
        "--minify",
        "--sourcemap",
        "--legal-comments=linked",
        f"--target={TARGETS}",
        f"--outfile={BUNDLE}",
        "--log-level=warning",
    ]
    subprocess.run(command, check=True, cwd=ROOT)
    return BUNDLE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the bundle is current")
    args = parser.parse_args()
    if args.check:
        if not up_to_date():
            sys.exit(f"{BUNDLE.relative_to(ROOT)} is missing or older than its sources")
        return
    bundle = build()
    size = bundle.stat().st_size
    zipped = len(gzip.compress(bundle.read_bytes(), compresslevel=9))
    print(f"{bundle.relative_to(ROOT)}: {size / 1024:.1f} KiB, {zipped / 1024:.1f} KiB gzipped")


if __name__ == "__main__":
    main()

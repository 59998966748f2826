"""Finding the real components the tests drive (solc, anvil, PostgreSQL, Chromium, wrk).

On a laptop without one of them the tests that need it skip with a reason; under ``CI=true`` a
missing component is a failure, because a skipped integration test proves nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = REPO_ROOT / "node_modules" / ".bin"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(what: str, hint: str) -> None:
    """Skip locally, fail in CI, with a message that says how to get the component."""
    message = f"{what} is not available ({hint})"
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def anvil_binary() -> Path:
    path = NODE_BIN / "anvil"
    if not path.exists():
        missing("anvil", "run `npm ci` to install @foundry-rs/anvil-linux-amd64")
    return path


def solcjs_binary() -> Path:
    path = NODE_BIN / "solcjs"
    if not path.exists():
        missing("solcjs", "run `npm ci` to install solc")
    return path


def postgres_bin_dir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    for candidate in reversed(candidates):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    missing("PostgreSQL server binaries", "run scripts/install_system_deps.sh")
    raise AssertionError("unreachable")


def chromium_binary() -> Path:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return Path(found)
    missing("Chromium", "run scripts/install_system_deps.sh")
    raise AssertionError("unreachable")


def wrk_binary() -> Path:
    found = shutil.which("wrk")
    if found is None:
        missing("wrk", "run scripts/install_system_deps.sh (Debian package wrk)")
        raise AssertionError("unreachable")
    return Path(found)


def epcis_reference_dir() -> Path:
    """GS1's EPCIS 2.0 JSON schema and example documents, beside the repository in
    ``../shared/epcis/`` (GS1's files, used as test data only; see docs/epcis.md)."""
    path = REPO_ROOT.parent / "shared" / "epcis"
    if not (path / "EPCIS-JSON-Schema.json").exists():
        missing("GS1's EPCIS reference files", f"expected them in {path}")
    return path

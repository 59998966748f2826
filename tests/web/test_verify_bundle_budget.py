"""The consumer page's own check stays small enough for a phone on a slow connection.

The budget is the one the browser check was promised under: at most 60 kB gzipped for the
script a scan downloads (its source map and licence notes are only fetched by developers).
"""

from __future__ import annotations

import gzip
import os

import pytest

from backend.web.bundles import bundle_path

#: Most gzipped bytes the consumer page's check may weigh.
VERIFY_BUDGET_GZIPPED = 60_000


def test_the_browser_check_weighs_at_most_60_kb_gzipped() -> None:
    path = bundle_path("verify")
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} was not built: `make test` builds it with esbuild")
        pytest.skip("the browser bundles are not built (run `make bootstrap`)")
    size = len(gzip.compress(path.read_bytes(), compresslevel=9))
    assert size <= VERIFY_BUDGET_GZIPPED, f"verify.js is {size:,} bytes gzipped"

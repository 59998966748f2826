"""Verification tests run on SQLite and on PostgreSQL, against the in-process chain (eth-tester)."""

from __future__ import annotations

import pytest

from backend.runtime import Runtime


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    """Here the app's runtime has the in-process chain and its registry; tests drive the passes."""
    return chain_runtime

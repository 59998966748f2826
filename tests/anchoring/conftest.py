"""Anchoring tests run on SQLite and on PostgreSQL, against the in-process chain (eth-tester).

``runtime`` here replaces the shared one: it connects the in-process chain and deploys the
registry, but starts no worker thread, so each test drives the passes itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.runtime import Runtime
from tests.support.app import actors, client, database_url, make_settings, supply_chain
from tests.support.postgres import postgres_cluster, postgres_url

__all__ = [
    "actors",
    "client",
    "database_url",
    "postgres_cluster",
    "postgres_url",
    "runtime",
    "settings_overrides",
    "supply_chain",
]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Settings a test module changes (override this fixture in the module)."""
    return {}


@pytest.fixture
def runtime(
    tmp_path: Path, database_url: str, settings_overrides: dict[str, Any]
) -> Iterator[Runtime]:
    settings = make_settings(tmp_path / "data", database_url, **settings_overrides)
    instance = Runtime.start(settings, start_worker=False)
    try:
        yield instance
    finally:
        instance.close()

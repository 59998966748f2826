"""The interop tests' database: SQLite in the fast suite; the PostgreSQL run of the same tests
goes with the slow suites (it starts the shared server), keeping ``make test`` in budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.app import empty_all_tables


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database: a SQLite file, then (slow suite) PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{(tmp_path / 'ledger.db').as_posix()}"
    url: str = request.getfixturevalue("shared_postgres_database")
    empty_all_tables(url)
    return url

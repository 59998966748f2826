"""Stepping one database up and down the migration chain, for the per-revision tests.

Each migration test starts an empty database, migrates it to the revision before the one under
test, writes the rows that revision must carry, and checks the way up and the way down, on
SQLite and on PostgreSQL. The fixture that gives them the engine and the step function live here
so each test is only its rows and its checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine

from backend.db import make_engine
from backend.migrations.runner import alembic_config

#: ``params`` for a fixture that runs a migration test on both databases.
BOTH_DATABASES = [
    "sqlite",
    pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow]),
]


def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of the fixture's parameter ("sqlite" or "postgres"), disposed after."""
    if request.param == "sqlite":
        url = f"sqlite:///{(tmp_path / 'm.db').as_posix()}"
    else:
        url = request.getfixturevalue("postgres_url")
    made = make_engine(url)
    try:
        yield made
    finally:
        made.dispose()


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    """``alembic upgrade`` (or ``downgrade``) ``engine``'s database to ``revision``."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

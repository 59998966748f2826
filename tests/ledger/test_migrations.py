"""The migrations build exactly the tables the models describe, on SQLite and PostgreSQL.

If this fails after a change to backend/models.py, write the migration:
``SENTRACE_DATABASE_URL=sqlite:////tmp/m.db .venv/bin/alembic -c backend/alembic.ini upgrade head``
then ``… revision --autogenerate -m "what changed"`` and review the file it writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from backend.db import create_schema
from backend.migrations.runner import alembic_config
from backend.migrations.types import compare_type
from backend.runtime import Runtime
from tests.support.app import make_settings


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])]
)
def fresh_runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on a database of its own: these tests take the schema apart."""
    if request.param == "sqlite":
        url = f"sqlite:///{(tmp_path / 'm.db').as_posix()}"
    else:
        url = request.getfixturevalue("postgres_url")
    runtime = Runtime.create(make_settings(tmp_path / "data", url))
    try:
        yield runtime
    finally:
        runtime.close()


def test_the_migrated_schema_matches_the_models(runtime: Runtime) -> None:
    with runtime.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": compare_type})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_migrations_go_down_to_nothing_and_up_again(fresh_runtime: Runtime) -> None:
    runtime = fresh_runtime
    config = alembic_config()
    with runtime.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(runtime.engine).get_table_names()) <= {"alembic_version"}
    create_schema(runtime.engine)
    assert "lot" in inspect(runtime.engine).get_table_names()


def test_a_database_made_before_migrations_is_adopted(fresh_runtime: Runtime) -> None:
    runtime = fresh_runtime
    config = alembic_config()
    with runtime.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        # The pre-migration way made the first release's tables and recorded no revision.
        command.upgrade(config, "0001")
        connection.execute(text("DROP TABLE alembic_version"))
    create_schema(runtime.engine)  # must not fail on the existing tables
    with runtime.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() is not None

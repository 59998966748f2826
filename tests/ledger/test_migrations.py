"""The migrations build exactly the tables the models describe, on SQLite and PostgreSQL.

If this fails after a change to backend/models.py, write the migration:
``SENTRACE_DATABASE_URL=sqlite:////tmp/m.db .venv/bin/alembic -c backend/alembic.ini upgrade head``
then ``… revision --autogenerate -m "what changed"`` and review the file it writes.
"""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from backend.db import create_schema
from backend.migrations.runner import alembic_config
from backend.migrations.types import compare_type
from backend.runtime import Runtime


def test_the_migrated_schema_matches_the_models(runtime: Runtime) -> None:
    with runtime.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": compare_type})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_migrations_go_down_to_nothing_and_up_again(runtime: Runtime) -> None:
    config = alembic_config()
    with runtime.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(runtime.engine).get_table_names()) <= {"alembic_version"}
    create_schema(runtime.engine)
    assert "lot" in inspect(runtime.engine).get_table_names()


def test_a_database_made_before_migrations_is_adopted(runtime: Runtime) -> None:
    config = alembic_config()
    with runtime.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    SQLModel.metadata.create_all(runtime.engine)  # the pre-migration way
    create_schema(runtime.engine)  # must not fail on the existing tables
    with runtime.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() is not None

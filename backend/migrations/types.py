"""How autogenerate and the schema test compare column types across backends."""

from __future__ import annotations

from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Integer
from sqlalchemy.types import TypeEngine


def compare_type(
    migration_context: MigrationContext,
    _inspected_column: Any,
    _metadata_column: Any,
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """SQLite stores every integer in up to 8 bytes: INTEGER and BIGINT are the same there.

    Returns ``False`` (no change) for that case and ``None`` to let Alembic compare the rest.
    """
    if migration_context.dialect.name == "sqlite" and all(
        isinstance(t, Integer) for t in (inspected_type, metadata_type)
    ):
        return False
    return None

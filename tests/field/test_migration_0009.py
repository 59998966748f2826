"""Migration 0009: the field_photo table comes and goes without touching the organisations
its rows refer to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from tests.support.migrations import BOTH_DATABASES, empty_engine, migrate

NOW = "2026-12-06 00:00:00"


@pytest.fixture(params=BOTH_DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from empty_engine(request, tmp_path)


def test_the_photo_table_is_added_with_rows_and_removed_keeping_organisations(
    engine: Engine,
) -> None:
    migrate(engine, "0008")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisation (slug, name, role, created_at, key_custody) VALUES "
                "('htx', 'HTX', 'COOPERATIVE', :now, 'browser')"
            ),
            {"now": NOW},
        )
    migrate(engine, "0009")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO field_photo (sha256, media_type, size, width, height, content, "
                "org_id, created_at) VALUES (:sha, 'image/jpeg', 3, 1, 1, :content, 1, :now)"
            ),
            {"sha": "a" * 64, "content": b"\xff\xd8\xff", "now": NOW},
        )
        stored = connection.execute(text("SELECT size FROM field_photo")).scalar_one()
    assert stored == 3
    assert "ix_field_photo_org_id" in {
        i["name"] for i in inspect(engine).get_indexes("field_photo")
    }

    migrate(engine, "0008", down=True)
    assert "field_photo" not in inspect(engine).get_table_names()
    with engine.begin() as connection:
        assert connection.execute(text("SELECT slug FROM organisation")).scalar_one() == "htx"

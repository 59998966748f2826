"""Migration 0007: organisations already there become custodial, new ones default to client,
and the way down keeps the rows that refer to organisations and events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.support.migrations import BOTH_DATABASES, empty_engine, migrate

NOW = "2026-05-01 00:00:00"


@pytest.fixture(params=BOTH_DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from empty_engine(request, tmp_path)


def test_existing_organisations_become_custodial_and_the_way_down_keeps_them(
    engine: Engine,
) -> None:
    migrate(engine, "0006")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisation (slug, name, role, created_at) VALUES "
                "('htx', 'HTX', 'COOPERATIVE', :now)"
            ),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO apikey (org_id, prefix, key_hash, label, created_at) VALUES "
                "(1, 'stk_x', :digest, '', :now)"
            ),
            {"digest": "0" * 64, "now": NOW},
        )

    migrate(engine, "0007")

    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisation (slug, name, role, created_at) VALUES "
                "('dg', 'DG', 'PACKER', :now)"
            ),
            {"now": NOW},
        )
        custody = dict(connection.execute(text("SELECT slug, key_custody FROM organisation")).all())
        assert custody == {"htx": "custodial", "dg": "client"}
        connection.execute(
            text(
                "INSERT INTO chainaction (kind, lot_key, payload_hash, status, attempts, "
                "created_at, signer, org_key, active, custody) VALUES ('SET_SIGNER', '', '', "
                "'PENDING', 0, :now, :signer, :org_key, true, 3)"
            ),
            {"now": NOW, "signer": "0x" + "11" * 20, "org_key": "0x" + "22" * 32},
        )

    migrate(engine, "0006", down=True)

    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM organisation")).scalar_one() == 2
        assert connection.execute(text("SELECT count(*) FROM apikey")).scalar_one() == 1
        assert connection.execute(text("SELECT count(*) FROM chainaction")).scalar_one() == 0
    migrate(engine, "head")

"""SENTRACE_DATABASE_REPLICA_URLS is refused at start when it cannot be what it says."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from backend.config import Settings
from backend.db_replicas import ReadReplicas

PRIMARY = "postgresql+psycopg://sentrace:mat-khau@10.0.0.1/sentrace"
REPLICA = "postgresql+psycopg://sentrace:mat-khau@10.0.0.2/sentrace"


def test_replicas_are_a_comma_separated_list_of_postgresql_urls(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url=PRIMARY, database_replica_urls=f" {REPLICA} ,{REPLICA}"
    )
    assert settings.replica_urls == [REPLICA, REPLICA]
    assert Settings(data_dir=tmp_path, database_url=PRIMARY).replica_urls == []
    assert ReadReplicas.of([]) is None


def test_a_replica_that_is_not_postgresql_is_refused_without_echoing_the_url(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValidationError, match="SENTRACE_DATABASE_REPLICA_URLS") as raised:
        Settings(
            data_dir=tmp_path, database_url=PRIMARY, database_replica_urls="mysql://u:bi-mat@h/d"
        )
    assert "bi-mat" not in str(raised.value)


def test_replicas_of_a_sqlite_primary_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="SENTRACE_DATABASE_URL"):
        Settings(data_dir=tmp_path, database_replica_urls=REPLICA)

"""PostgreSQL fixtures, registered once for the whole suite by tests/conftest.py.

``postgres_cluster`` is the session's throw-away cluster (tests/support/postgres.py), started
by the first test that asks for it; ``postgres_url`` is a fresh database per test, for tests
that change the schema or restart things; ``shared_postgres_database`` is the one database
the SQLite/PostgreSQL pair of ``database_url`` (tests/support/fixtures_app.py) empties and
reuses. Without the server binaries these skip locally and fail under CI=true.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.db import create_schema, make_engine
from tests.support.postgres import PostgresCluster, start_cluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """The session's cluster, started on first use and stopped when the session ends."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh, empty database on the session cluster, dropped after the test."""
    url = postgres_cluster.create_database()
    try:
        yield url
    finally:
        postgres_cluster.drop_database(url)


@pytest.fixture(scope="session")
def shared_postgres_database(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """One PostgreSQL database per session, migrated to head once; emptied before each test.

    Creating a database costs over a second (it copies a template), emptying every table costs
    milliseconds, and an emptied database with its sequences restarted is as good as new for
    the tests here. Tests that change the schema itself use ``postgres_url`` (a fresh database).
    """
    url = postgres_cluster.create_database()
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    try:
        yield url
    finally:
        postgres_cluster.drop_database(url)

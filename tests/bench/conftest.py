"""Fixtures of an app over a real database (SQLite, then PostgreSQL) for the bench's tests."""

from tests.support.app import (
    actors,
    client,
    database_url,
    runtime,
    shared_postgres_database,
    supply_chain,
)
from tests.support.postgres import postgres_cluster

__all__ = [
    "actors",
    "client",
    "database_url",
    "postgres_cluster",
    "runtime",
    "shared_postgres_database",
    "supply_chain",
]

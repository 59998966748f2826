"""Every test here runs on SQLite and on PostgreSQL (see tests/support/app.py)."""

from tests.ledger.world import world
from tests.support.app import (
    actors,
    client,
    database_url,
    runtime,
    shared_postgres_database,
    supply_chain,
)
from tests.support.postgres import postgres_cluster, postgres_url

__all__ = [
    "actors",
    "client",
    "database_url",
    "postgres_cluster",
    "postgres_url",
    "runtime",
    "shared_postgres_database",
    "supply_chain",
    "world",
]

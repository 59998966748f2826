"""Anchoring tests run on SQLite and on PostgreSQL, against the in-process chain (eth-tester)."""

from tests.support.app import (
    actors,
    client,
    database_url,
    shared_postgres_database,
    supply_chain,
)
from tests.support.ledger_flow import runtime, settings_overrides
from tests.support.postgres import postgres_cluster, postgres_url

__all__ = [
    "actors",
    "client",
    "database_url",
    "postgres_cluster",
    "postgres_url",
    "runtime",
    "settings_overrides",
    "shared_postgres_database",
    "supply_chain",
]

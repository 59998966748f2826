"""The load test drives a real server on PostgreSQL with its worker anchoring to a real anvil."""

from __future__ import annotations

from tests.support.anvil import anvil_node
from tests.support.postgres import postgres_cluster, postgres_url
from tests.support.server import server_factory

__all__ = ["anvil_node", "postgres_cluster", "postgres_url", "server_factory"]

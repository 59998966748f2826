"""Fault tests: a real server process, a real anvil behind a JSON-RPC relay, real PostgreSQL.

Each test owns its anvil node (state in its tmp_path), its relay and its servers; the
PostgreSQL cluster is the session's (tests/support/postgres.py) with a fresh database per test,
except where a test restarts PostgreSQL itself and brings its own cluster.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from backend.chain.anvil import ManagedAnvil
from backend.db import make_engine
from tests.reliability.rpc_proxy import RpcProxy


@pytest.fixture
def rpc_proxy(anvil_node: ManagedAnvil) -> Iterator[RpcProxy]:
    """A relay in front of ``anvil_node``; the server under test is given the relay's URL."""
    proxy = RpcProxy(anvil_node.url).start()
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    """The test's own engine on the server's database, to look at rows from outside."""
    made = make_engine(postgres_url)
    try:
        yield made
    finally:
        made.dispose()

"""Fault tests: a real server process, a real anvil behind a JSON-RPC relay, real PostgreSQL.

Each test owns its server and its anvil node (``killable``, tests/support/killable.py: state in
its tmp_path, killed and restarted at will) and its relay; the PostgreSQL cluster is the
session's with a fresh database per test, except where a test restarts PostgreSQL itself and
brings its own cluster. Tests ask for their database before ``killable`` and ``rpc_proxy``, so
the server is stopped before its database goes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from backend.db import make_engine
from tests.reliability.rpc_proxy import RpcProxy
from tests.support.killable import KillableStack


@pytest.fixture
def rpc_proxy(killable: KillableStack) -> Iterator[RpcProxy]:
    """A relay in front of the test's anvil (started here); the server is given the relay's URL."""
    proxy = RpcProxy(killable.start_anvil()).start()
    try:
        yield proxy
    finally:
        killable.close()  # the server stops while the relay it talks through is still there
        proxy.close()


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    """The test's own engine on the server's database, to look at rows from outside."""
    made = make_engine(postgres_url)
    try:
        yield made
    finally:
        made.dispose()

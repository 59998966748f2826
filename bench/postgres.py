"""A throw-away PostgreSQL cluster for the bench, made by the test suite's own helper.

``tests/support/postgres.py`` already knows how to run ``initdb``/``pg_ctl`` as the right user
on a free loopback port with durability off; the bench imports it rather than keeping a
second copy. (Durability off matches the tests; it flatters PostgreSQL's commit latency, which
the report says next to its figures.) One cluster serves the whole bench run (starting one
takes seconds); every caller gets a fresh database on it, and :func:`stop_cluster` removes it.
"""

from __future__ import annotations

import atexit
from typing import Any

import pytest

from bench.chain import ComponentMissing

_cluster: Any = None


def new_postgres_database() -> str:
    """The SQLAlchemy URL of a fresh, empty database on the run's cluster (started on demand)."""
    global _cluster
    if _cluster is None:
        from tests.support.postgres import start_cluster

        try:
            _cluster = start_cluster()
        except pytest.skip.Exception as exc:  # the helper's way of saying "not installed"
            raise ComponentMissing(str(exc)) from exc
        atexit.register(stop_cluster)
    url: str = _cluster.create_database()
    return url


def stop_cluster() -> None:
    """Stop the cluster and delete its files (safe to call twice)."""
    global _cluster
    if _cluster is not None:
        cluster, _cluster = _cluster, None
        cluster.stop()

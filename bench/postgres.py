"""A throw-away PostgreSQL cluster for the bench, made by the test suite's own helper.

``tests/support/postgres.py`` already knows how to run ``initdb``/``pg_ctl`` as the right user
on a free loopback port with durability off; the bench imports it rather than keeping a
second copy. (Durability off matches the tests; it flatters PostgreSQL's commit latency, which
the report says next to its figures.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bench.chain import ComponentMissing


@contextmanager
def postgres_database() -> Iterator[str]:
    """The SQLAlchemy URL of a fresh database on a fresh cluster, stopped and removed on exit."""
    from tests.support.postgres import start_cluster

    try:
        cluster = start_cluster()
    except pytest.skip.Exception as exc:  # the helper's way of saying "not installed"
        raise ComponentMissing(str(exc)) from exc
    try:
        yield cluster.create_database()
    finally:
        cluster.stop()

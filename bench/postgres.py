"""A throw-away PostgreSQL cluster for the bench, made by the test suite's own helper.

``tests/support/postgres.py`` already knows how to run ``initdb``/``pg_ctl`` as the right user
on a free loopback port; the bench imports it rather than keeping a second copy. The tests
switch durability off (their data is thrown away); the bench does not: it runs with
PostgreSQL's defaults (``fsync``, ``synchronous_commit`` and ``full_page_writes`` on), so its
commit costs are those of a production setup. The settings that shape those costs are read
back from the running server (:func:`settings_line`) and printed with the report, so a figure
never travels without them. One cluster serves the whole bench run (starting one takes
seconds); every caller gets a fresh database on it, and :func:`stop_cluster` removes it.

A run that reads from a replica (``scripts/simulate_province.py --replica``) gets a hot
standby of that cluster from the same helper the replica tests use (:func:`replica_url`):
``pg_basebackup -R -X stream``, streaming from then on. The standby runs with the tests'
settings (fsync off): it is thrown away, and its replay is not what a commit waits for.
"""

from __future__ import annotations

import atexit
from typing import Any

import psycopg
import pytest

from bench.chain import ComponentMissing

#: The server settings that decide what a commit costs, read back and printed with the report.
REPORTED_SETTINGS = (
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "wal_sync_method",
    "shared_buffers",
    "max_connections",
)

_cluster: Any = None
_replica: Any = None
_settings: str | None = None


def new_postgres_database() -> str:
    """The SQLAlchemy URL of a fresh, empty database on the run's cluster (started on demand)."""
    global _cluster, _settings
    if _cluster is None:
        from tests.support.postgres import start_cluster

        try:
            _cluster = start_cluster(durable=True)
        except pytest.skip.Exception as exc:  # the helper's way of saying "not installed"
            raise ComponentMissing(str(exc)) from exc
        atexit.register(stop_cluster)
        _settings = _read_settings(_cluster.port)
    url: str = _cluster.create_database()
    return url


def replica_url(primary_url: str) -> str:
    """The URL of ``primary_url``'s database on a streaming hot standby of the run's cluster
    (started on first use; databases made before or after it all appear on it)."""
    global _replica
    if _cluster is None:
        raise RuntimeError("no cluster yet: make a database with new_postgres_database() first")
    if _replica is None:
        from tests.support.postgres import start_replica

        _replica = start_replica(_cluster)
    return f"{_replica.base_url}{primary_url.rsplit('/', 1)[1]}"


def server_pids() -> dict[str, int]:
    """The postmaster pid of the run's cluster ("primary") and of its replica, if one runs
    (for their CPU time), from each data folder's ``postmaster.pid``."""
    pids = {}
    for name, cluster in (("primary", _cluster), ("replica", _replica)):
        if cluster is not None:
            first_line = (cluster.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
            pids[name] = int(first_line)
    return pids


def _read_settings(port: int) -> str:
    """``PostgreSQL 15.x (fsync on, synchronous_commit on, …)`` as the server reports them."""
    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True
    ) as connection:
        version = connection.execute("SHOW server_version").fetchone()
        values = [
            f"{name} {connection.execute(f'SHOW {name}').fetchone()[0]}"  # type: ignore[index]
            for name in REPORTED_SETTINGS  # fixed names above, not input
        ]
    return f"PostgreSQL {version[0] if version else '?'} ({', '.join(values)})"


def settings_line() -> str | None:
    """The run's PostgreSQL settings (see :func:`_read_settings`), or None if none ran."""
    return _settings


def stop_cluster() -> None:
    """Stop the cluster (and its replica) and delete their files (safe to call twice)."""
    global _cluster, _replica
    if _replica is not None:
        replica, _replica = _replica, None
        replica.stop()
    if _cluster is not None:
        cluster, _cluster = _cluster, None
        cluster.stop()

"""Stopping and starting a test's own PostgreSQL cluster, as an operator would with pg_ctl.

The session cluster (tests/support/postgres.py) is shared by every test, so a test that takes
the database away starts a cluster of its own with :func:`start_cluster` and restarts that one:
``pg_ctl stop -m fast`` (clients are disconnected, in-flight transactions roll back) and
``pg_ctl start`` on the same port and folder, so committed data must survive. As root the
commands run as the ``postgres`` user, like the shared fixture does.
"""

from __future__ import annotations

import os
import subprocess

from tests.support.postgres import SERVER_USER, PostgresCluster


def _pg_ctl(cluster: PostgresCluster, *args: str) -> subprocess.CompletedProcess[str]:
    prefix = ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []
    command = [*prefix, str(cluster.bin_dir / "pg_ctl"), "-D", str(cluster.data_dir), *args]
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)


def stop_fast(cluster: PostgresCluster) -> None:
    """``pg_ctl stop -m fast``: disconnect everyone, roll back open work, shut down cleanly."""
    _pg_ctl(cluster, "-m", "fast", "-w", "-t", "60", "stop")


def start_again(cluster: PostgresCluster) -> None:
    """Start the stopped cluster on its old port with the options the fixture used."""
    options = (
        f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {cluster.root} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        "-c max_connections=200"
    )
    log = str(cluster.root / "server.log")
    _pg_ctl(cluster, "-l", log, "-o", options, "-w", "-t", "60", "start")

"""A throw-away PostgreSQL cluster for tests: initdb, pg_ctl, databases made and dropped.

The cluster is made with ``initdb`` and run with ``pg_ctl`` from the installed server binaries
(tests/support/components.py finds them; missing binaries skip locally and fail under CI=true).
PostgreSQL refuses to run as root and tests here often run as root, so the server commands then
run as the unprivileged ``postgres`` user through ``runuser``, in a folder that user owns. The
server listens on a free loopback port with trust authentication, its socket in the cluster
folder, and durability switched off (fsync): the data is thrown away anyway. The benchmarks
ask for a ``durable`` cluster instead (PostgreSQL's own defaults), so their commit costs are
those of a production setup.

The fixtures on top of it (one cluster per session, a database per test) are in
tests/support/fixtures_postgres.py, registered once by tests/conftest.py.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.support.components import missing, postgres_bin_dir

SERVER_USER = "postgres"
START_ATTEMPTS = 3


@dataclass
class PostgresCluster:
    """A running cluster; ``base_url`` has no database name, append one."""

    bin_dir: Path
    root: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def base_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/"

    def _admin_connection(self) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        )

    def create_database(self, *, template: str | None = None) -> str:
        """A new database (empty, or a copy of ``template``'s URL); returns its URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        copy = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
        with self._admin_connection() as connection:
            connection.execute(f'CREATE DATABASE "{name}"{copy}')  # generated names, not input
        return self.base_url + name

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self._admin_connection() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        _run(self, "pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _as_server_user() -> list[str]:
    """Prefix that runs a command as ``postgres`` when we are root, nothing otherwise."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        missing("the 'postgres' system user", "install postgresql, which creates it")
    return ["runuser", "-u", SERVER_USER, "--"]


def _run(
    cluster: PostgresCluster | None,
    tool: str,
    *args: str,
    bin_dir: Path | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    directory = bin_dir or (cluster.bin_dir if cluster else postgres_bin_dir())
    command = [*_as_server_user(), str(directory / tool), *args]
    return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


#: What the tests switch off: the cluster's data is thrown away, so crash safety buys nothing.
NOT_DURABLE = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "


def start_cluster(*, durable: bool = False) -> PostgresCluster:
    """initdb + pg_ctl start in a fresh folder under the system temp dir; ``durable`` keeps
    PostgreSQL's defaults for fsync, synchronous_commit and full_page_writes (all on)."""
    bin_dir = postgres_bin_dir()
    root = _server_folder("sentrace-pg-")
    data_dir = root / "data"
    _run(
        None,
        "initdb",
        "-D", str(data_dir),
        "-U", "postgres",
        "-A", "trust",
        "-E", "UTF8",
        "--no-locale",
        "--no-sync",
        bin_dir=bin_dir,
    )  # fmt: skip
    return _start(bin_dir, root, durable=durable)


def start_replica(primary: PostgresCluster) -> PostgresCluster:
    """A hot standby streaming from ``primary``: ``pg_basebackup -R`` copies the cluster and
    writes ``standby.signal`` and ``primary_conninfo``; initdb's trust rules already let
    127.0.0.1 replicate. Every database of the primary, made before or after, appears on it.
    The backup asks for a fast checkpoint: the default spreads it over most of
    ``checkpoint_timeout``, which on a durable primary kept the copy waiting for 90 s."""
    root = _server_folder("sentrace-pg-replica-")
    _run(
        primary, "pg_basebackup",
        "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
        "-D", str(root / "data"), "-R", "-X", "stream", "--no-sync", "--checkpoint=fast",
    )  # fmt: skip
    return _start(primary.bin_dir, root, durable=False)


def _server_folder(prefix: str) -> Path:
    """A fresh folder the server user owns (pytest's tmp dir is private to root)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    if _as_server_user():
        record = pwd.getpwnam(SERVER_USER)
        os.chown(root, record.pw_uid, record.pw_gid)
    return root


def _start(bin_dir: Path, root: Path, *, durable: bool) -> PostgresCluster:
    """pg_ctl start of ``root``/data on a free port (tried again if another process took it)."""
    data_dir = root / "data"
    last_error = ""
    for _ in range(START_ATTEMPTS):
        cluster = PostgresCluster(bin_dir=bin_dir, root=root, port=_free_port())
        options = (
            f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {root} "
            f"{'' if durable else NOT_DURABLE}-c max_connections=200"
        )
        result = _run(
            cluster, "pg_ctl", "-D", str(data_dir), "-l", str(root / "server.log"),
            "-o", options, "-w", "-t", "60", "start", check=False,
        )  # fmt: skip
        if result.returncode == 0:
            return cluster
        last_error = result.stderr + _tail(root / "server.log")
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"PostgreSQL did not start: {last_error}")


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""

"""A server and an anvil node that a fault test kills and brings back.

Fault tests crash processes at chosen points and then check what survived. One
:class:`KillableStack` per test starts, kills (SIGKILL: nothing flushed, nothing dumped) and
restarts one ``sentrace serve`` process and one anvil node, both under the test's folder, and
hands back their URLs; the ``killable`` fixture (tests/support/fixtures_server.py) stops what
is still running after the test. Without anvil, starting it skips locally and fails under
CI=true (tests/support/components.py).
"""

from __future__ import annotations

from pathlib import Path

from backend.chain.anvil import ManagedAnvil
from tests.support.anvil import start_anvil
from tests.support.server import ServerProcess, server_env


class KillableStack:
    """One server and one anvil node in ``root`` (``root/data`` and ``root/anvil``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._anvil: ManagedAnvil | None = None
        self._server: ServerProcess | None = None

    @property
    def anvil(self) -> ManagedAnvil:
        """The node, for its state file or for JSON-RPC straight to it."""
        if self._anvil is None:
            raise RuntimeError("anvil not started: call start_anvil() first")
        return self._anvil

    @property
    def server(self) -> ServerProcess:
        """The server process, for HTTP clients and its log."""
        if self._server is None:
            raise RuntimeError("server not started: call start_server() first")
        return self._server

    def start_anvil(self, **options: object) -> str:
        """Start the node once (``options`` go to ManagedAnvil); its URL, on every call."""
        if self._anvil is None:
            self._anvil = start_anvil(self.root / "anvil", **options)
        return self._anvil.url

    def kill_anvil(self) -> None:
        """SIGKILL the node, as a crash would: it keeps only its last state dump (1 s old)."""
        self.anvil.kill()

    def stop_anvil(self) -> None:
        """SIGTERM the node, as an operator would: it dumps its state before it exits."""
        self.anvil.stop()

    def restart_anvil(self) -> str:
        """Start the killed or stopped node again on its state file; its URL (a new port
        unless ``start_anvil`` was given one)."""
        self.anvil.start()
        return self.anvil.url

    def start_server(
        self,
        *,
        database_url: str | None = None,
        chain_rpc_url: str | None = None,
        **settings: object,
    ) -> str:
        """Start ``sentrace serve`` on ``root/data`` and wait until it is healthy; its URL.

        The arguments are those of :func:`tests.support.server.server_env`.
        """
        if self._server is not None:
            raise RuntimeError("server already started: use restart_server()")
        env = server_env(
            self.root / "data", database_url=database_url, chain_rpc_url=chain_rpc_url, **settings
        )
        self._server = ServerProcess(env=env, log_path=self.root / "server.log").start()
        return self._server.url

    def kill_server(self) -> None:
        """SIGKILL the server's whole process group: a crash or power cut, nothing flushed."""
        self.server.kill()

    def restart_server(self) -> str:
        """Start the killed server again on the same data folder and database; its new URL."""
        return self.server.start().url

    def close(self) -> None:
        """Stop what still runs: the server first (it talks to the node), then the node."""
        try:
            if self._server is not None:
                self._server.stop()
        finally:
            if self._anvil is not None:
                self._anvil.stop()

"""A local anvil node owned by this process, with its state kept in the data folder.

``sentrace serve`` without an RPC URL runs one of these so a single machine has a real EVM node
(JSON-RPC, blocks, logs) without any setup; the integration tests drive the same class. State
is dumped every second and on a clean stop, so anchors survive restarts; a last good copy of
the dump (``anvil_state``) lets a node killed in the middle of a dump start again.

The node mines a block only when a transaction arrives, so nothing would ever sit
``SENTRACE_CONFIRMATIONS`` deep: the finality policy (``chain.finality``) mines the empty blocks
a waiting transaction needs (``anvil_mine``), on this node and the in-process chain only.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO

from backend.chain.anvil_state import StateKeeper, restore_if_torn
from backend.chain.errors import ChainConfigError, ChainUnavailable

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO_ROOT / "node_modules" / ".bin" / "anvil"
LOOPBACK = "127.0.0.1"
#: Tries when a port picked for us is taken between choosing it and anvil binding it.
PORT_ATTEMPTS = 3


def free_port() -> int:
    """A loopback TCP port that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _chain_id_at(url: str, timeout: float) -> int | None:
    """``eth_chainId`` of the node at ``url``, or None when it does not answer (yet)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body.encode(), headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(json.loads(response.read())["result"], 16)
    except (OSError, ValueError, KeyError):
        return None


class ManagedAnvil:
    """Start, stop and kill one anvil process bound to loopback."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        binary: Path | None = None,
        chain_id: int = 31337,
        block_time: float | None = None,
        hardfork: str | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.binary = Path(binary) if binary else DEFAULT_BINARY
        self.chain_id = chain_id
        self.block_time = block_time
        #: An older EVM (e.g. ``london``) to stand in for a consortium chain; None: anvil's latest.
        self.hardfork = hardfork
        self.startup_timeout = startup_timeout
        self._requested_port = port
        self._port: int | None = port
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._keeper: StateKeeper | None = None  # a last good copy of the dump, while running

    @property
    def state_file(self) -> Path:
        return self.data_dir / "anvil-state.json"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "anvil.log"

    @property
    def port(self) -> int:
        if self._port is None:
            raise ChainConfigError("anvil has not been started, so it has no port yet")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _command(self, port: int) -> list[str]:
        command = [
            str(self.binary),
            "--host", LOOPBACK,
            "--port", str(port),
            "--chain-id", str(self.chain_id),
            "--state", str(self.state_file),
            "--state-interval", "1",
            "--quiet",
        ]  # fmt: skip
        if self.block_time is not None:
            command += ["--block-time", f"{self.block_time:g}"]
        if self.hardfork is not None:
            command += ["--hardfork", self.hardfork]
        return command

    def log_tail(self, lines: int = 20) -> str:
        """The last lines anvil wrote, for error messages."""
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> ManagedAnvil:
        """Start anvil and wait until it answers ``eth_chainId``; no-op when running."""
        if self.is_running():
            return self
        if not self.binary.exists():
            raise ChainConfigError(f"anvil not found at {self.binary}; run `npm ci`")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        restore_if_torn(self.state_file)  # a node killed mid-dump left half a file
        attempts = 1 if self._requested_port else PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            port = self._requested_port or free_port()
            try:
                self._spawn_and_wait(port)
                self._keeper = StateKeeper(self.state_file)
                self._keeper.start()
                return self
            except ChainUnavailable:
                if attempt == attempts or "in use" not in self.log_tail().lower():
                    raise
                logger.info("port %d was taken before anvil bound it; trying another", port)
        raise AssertionError("unreachable")

    def _spawn_and_wait(self, port: int) -> None:
        self._close_log()
        self._log = self.log_file.open("ab")
        self._port = port
        self._process = subprocess.Popen(
            self._command(port),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal stops us, and we stop anvil
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise ChainUnavailable(
                    f"anvil exited with code {code} during start-up; log tail:\n{self.log_tail()}"
                )
            answered = _chain_id_at(self.url, timeout=1.0)
            if answered is not None:
                if answered != self.chain_id:
                    self.kill()
                    raise ChainConfigError(
                        f"port {port} answers for chain {answered}, not {self.chain_id}"
                    )
                logger.info("anvil (pid %d) listening at %s", self._process.pid, self.url)
                return
            time.sleep(0.1)
        self.kill()
        raise ChainUnavailable(
            f"anvil did not answer within {self.startup_timeout:g} s; log tail:\n{self.log_tail()}"
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop gracefully (SIGTERM lets anvil dump its state); SIGKILL if it hangs."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                logger.warning("anvil (pid %d) ignored SIGTERM; killing it", process.pid)
                process.kill()
                process.wait()
        self._process = None
        self._stop_keeper(copy=True)
        self._close_log()

    def kill(self) -> None:
        """Die at once, without dumping state: simulates a crash or power cut."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        self._process = None
        self._stop_keeper(copy=False)
        self._close_log()

    def _stop_keeper(self, *, copy: bool) -> None:
        """Stop copying the dump; after a clean stop, copy the final dump anvil just wrote."""
        if self._keeper is None:
            return
        self._keeper.stop()
        if copy:
            self._keeper.copy_now()
        self._keeper = None

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> ManagedAnvil:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

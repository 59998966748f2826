"""A real ``sentrace serve`` process on a free loopback port, for fault, security and load tests.

In-process TestClients cannot be killed halfway through a write; these servers can. Each
:class:`ServerProcess` runs the installed ``sentrace`` console script (the same entry point an
operator uses) with an environment built from scratch by :func:`server_env`, so nothing from
the developer's shell (a production ``SENTRACE_ENV``, another database) leaks in. Output goes
to a log file in the test's folder, which :meth:`ServerProcess.log_text` reads for assertions
and failure messages.

The fixtures that start them (``server_factory``, and ``killable`` for a server and an anvil a
fault test kills) are in tests/support/fixtures_server.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from backend.chain.anvil import free_port
from tests.support.app import ADMIN_TOKEN

LOOPBACK = "127.0.0.1"
#: A server that has not answered /healthz by then is reported with its log tail.
DEFAULT_START_TIMEOUT_S = 90.0
#: Tries when the free port we picked is taken before the server binds it.
PORT_ATTEMPTS = 3


class ServerStartError(RuntimeError):
    """The server exited or stayed silent during start-up; the message has its log tail."""


def sentrace_command() -> list[str]:
    """The installed ``sentrace`` script next to this interpreter, else ``python -c`` on the CLI."""
    script = shutil.which("sentrace", path=str(Path(sys.executable).parent))
    if script:
        return [script]
    return [sys.executable, "-c", "from backend.cli import app; app()"]


def server_env(
    data_dir: Path,
    *,
    database_url: str | None = None,
    chain_rpc_url: str | None = None,
    **settings: object,
) -> dict[str, str]:
    """A clean environment for a server: test env, admin token, fast worker, given settings.

    ``settings`` are ``Settings`` field names (``batch_max_delay_s=0.5``) and become
    ``SENTRACE_*`` variables; ``None`` values are left out (the setting's default applies).
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "SENTRACE_ENV": "test",
        "SENTRACE_DATA_DIR": str(data_dir),
        "SENTRACE_ADMIN_TOKEN": ADMIN_TOKEN,
        "SENTRACE_WORKER_POLL_S": "0.2",
        "SENTRACE_BATCH_MAX_DELAY_S": "0.5",
        "SENTRACE_RATE_LIMIT_PER_MINUTE": "0",
    }
    if database_url is not None:
        env["SENTRACE_DATABASE_URL"] = database_url
    if chain_rpc_url is not None:
        env["SENTRACE_CHAIN_RPC_URL"] = chain_rpc_url
    for name, value in settings.items():
        key = f"SENTRACE_{name.upper()}"
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


@dataclass
class ServerProcess:
    """One ``sentrace serve`` process; start, kill (SIGKILL), stop (SIGTERM), start again."""

    env: dict[str, str]
    log_path: Path
    args: tuple[str, ...] = ()
    start_timeout_s: float = DEFAULT_START_TIMEOUT_S
    port: int | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("server not started")
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def command(self, port: int) -> list[str]:
        return [*sentrace_command(), "serve", "--host", LOOPBACK, "--port", str(port), *self.args]

    def spawn(self, port: int | None = None) -> subprocess.Popen[bytes]:
        """Start the process without waiting (for tests of start-up failures)."""
        self._close_log()
        self.port = port or self.port or free_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._log.write(f"\n--- start on port {self.port} ---\n".encode())
        self._log.flush()
        self._process = subprocess.Popen(
            self.command(self.port),
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self._process

    def start(self, *, same_port: bool = False) -> ServerProcess:
        """Start and wait until ``/healthz`` answers; ``same_port`` reuses the last port."""
        attempts = 1 if same_port else PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            self.spawn(self.port if same_port else free_port())
            try:
                self.wait_healthy()
                return self
            except ServerStartError:
                taken = "address already in use" in self.log_text().lower()
                if attempt == attempts or not taken:
                    raise
        raise AssertionError("unreachable")

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            process = self._process
            if process is None or process.poll() is not None:
                code = process.returncode if process else None
                raise ServerStartError(f"server exited with {code}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise ServerStartError(f"server silent for {self.start_timeout_s:g} s:\n{self.log_tail()}")

    def wait_exit(self, timeout: float = 60.0) -> int:
        """Wait for the process to end by itself; its exit code."""
        assert self._process is not None
        code = self._process.wait(timeout=timeout)
        self._close_log()
        return code

    def kill(self) -> None:
        """SIGKILL the whole process group at once: a crash or power cut, nothing flushed."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self._process = None
        self._close_log()

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM and wait (the server closes its worker and database); SIGKILL if it hangs."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self._process = None
        self._close_log()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def client(self, **kwargs: object) -> httpx.Client:
        """An HTTP client with this server as base URL (close it, or use it in ``with``)."""
        options: dict[str, object] = {"timeout": 30.0, **kwargs}
        return httpx.Client(base_url=self.url, **options)  # type: ignore[arg-type]

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


ServerFactory = Callable[..., ServerProcess]

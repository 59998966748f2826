"""The SenTrace app under uvicorn in its own process, plus the bare endpoints it is measured by.

Run as ``python -m bench.server --port N [--workers W]`` with ``SENTRACE_*`` variables in the
environment: it builds the runtime the way a server does (``Runtime.start``: database, chain,
anchoring worker), the app with ``create_app``, and adds three bench-only routes on the SAME
app, so the baseline goes through the same server, middleware and event loop:

* ``GET /bench/bare``: a synchronous endpoint (thread pool, like every SenTrace route);
* ``GET /bench/bare-async``: the same as a coroutine;
* ``POST /bench/echo``: reads a JSON body and answers 201 (the write baseline).

With ``--workers W`` (W > 1) it runs as ``sentrace serve --workers W`` does
(``backend.web_workers``): this process keeps the runtime with the anchoring worker and W
spawned children serve the app (each built by :func:`worker_app`, baseline routes included).

The parent side (:func:`running_server`) starts it, waits until ``/readyz`` says ready in every
worker, hands out its URL and pid, and stops it with SIGTERM. CPU is accounted to the whole
process tree (:func:`bench.stats.tree_cpu_seconds`), so one and several workers compare fairly.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from backend.chain.anvil import free_port
from bench.stats import tree_cpu_seconds

REPO_ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
#: Made fresh per bench run; the server gets it through SENTRACE_ADMIN_TOKEN.
ADMIN_TOKEN = secrets.token_hex(24)
STARTUP_TIMEOUT_S = 120.0
#: Response header naming the worker process that answered (``backend.web_workers``).
WORKER_HEADER = "X-SenTrace-Worker"


class ServerFailed(RuntimeError):
    """The server process exited or never became ready; the message holds its log tail."""


@dataclass
class ServerProcess:
    """A running server: where it listens and which process to account CPU to."""

    url: str
    process: subprocess.Popen[bytes]
    log_file: Path
    workers: int = 1

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        """CPU time of the server and every process below it (the web workers)."""
        return tree_cpu_seconds(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def server_env(
    *, data_dir: Path, database_url: str, rpc_url: str, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a bench server: its own data folder, database and chain."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRACE_")}
    env.update(
        {
            "SENTRACE_ENV": "development",
            "SENTRACE_DATA_DIR": str(data_dir),
            "SENTRACE_DATABASE_URL": database_url,
            "SENTRACE_CHAIN_RPC_URL": rpc_url,
            "SENTRACE_ADMIN_TOKEN": ADMIN_TOKEN,
            "SENTRACE_PUBLIC_BASE_URL": "http://127.0.0.1",
            # The public rate limit would turn a load test into a test of the limiter.
            "SENTRACE_RATE_LIMIT_PER_MINUTE": "0",
            "PYTHONPATH": str(REPO_ROOT),
            **(overrides or {}),
        }
    )
    return env


def _wait_ready(server: ServerProcess) -> None:
    """Until ``/readyz`` is 200 from every worker (each answer on a fresh connection)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    ready: set[str] = set()
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerFailed(
                f"bench server exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        try:
            answer = httpx.get(f"{server.url}/readyz", timeout=5.0)
        except httpx.TransportError:
            answer = None
        if answer is not None and answer.status_code == 200:
            ready.add(answer.headers.get(WORKER_HEADER, "single"))
            if len(ready) >= server.workers:
                return
            continue  # ask again at once: the next connection may reach another worker
        time.sleep(0.2)
    raise ServerFailed(
        f"bench server not ready in {STARTUP_TIMEOUT_S:g} s ({len(ready)} of {server.workers} "
        f"workers):\n{server.log_tail()}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server (it stops its workers); SIGKILL its whole group if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def running_server(
    env: Mapping[str, str], log_file: Path, *, workers: int = 1
) -> Iterator[ServerProcess]:
    """Start ``python -m bench.server`` with ``env`` and yield it once every worker is ready."""
    port = free_port()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        command = [sys.executable, "-m", "bench.server", "--port", str(port)]
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            cwd=REPO_ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, so a hung server goes with its workers
        )
    server = ServerProcess(f"http://{LOOPBACK}:{port}", process, log_file, workers)
    try:
        _wait_ready(server)
        yield server
    finally:
        _stop(process)


# ----------------------------------------------------------------------------- child side


def add_baseline_routes(app: Any) -> None:
    """The bare endpoints the real ones are compared with (see the module docstring)."""

    @app.get("/bench/bare", include_in_schema=False)
    def bare() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/bench/bare-async", include_in_schema=False)
    async def bare_async() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/bench/echo", status_code=201, include_in_schema=False)
    def echo(body: dict[str, Any]) -> dict[str, int]:
        return {"keys": len(body)}


def worker_app() -> Any:
    """App factory of one web worker (``--workers`` > 1): the real app plus the baselines."""
    import logging

    from backend.web_workers import build_worker_app

    app = build_worker_app(log_level=logging.WARNING)
    add_baseline_routes(app)
    return app


def main(argv: list[str] | None = None) -> int:
    import logging

    import uvicorn

    from backend.app import create_app
    from backend.config import get_settings
    from backend.http.startup_heap import freeze_startup_heap
    from backend.runtime import Runtime
    from backend.web_workers import prepare_environment, run_workers

    parser = argparse.ArgumentParser(description="SenTrace under uvicorn, for the bench")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1, help="web worker processes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = prepare_environment(get_settings(), args.workers)
    runtime = Runtime.start(settings)
    try:
        if args.workers > 1:
            run_workers(
                "bench.server:worker_app",
                host=LOOPBACK,
                port=args.port,
                workers=args.workers,
                log_level="warning",
                access_log=False,
            )
            return 0
        app = create_app(runtime)
        add_baseline_routes(app)
        freeze_startup_heap()  # as `sentrace serve` does
        uvicorn.run(app, host=LOOPBACK, port=args.port, log_level="warning", access_log=False)
    finally:
        runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

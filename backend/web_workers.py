"""``sentrace serve --workers N``: N web worker processes behind one listening socket.

One Python process serves on one core (the GIL); a second process uses the second. uvicorn's
multi-process mode binds the socket once in the parent and spawns N children that each import
:func:`worker_app` (an app factory, so every child builds its own runtime: engine, chain
client, caches) and accept from the shared socket.

Who does what:

* **The parent** (the ``sentrace serve`` process) does everything that must happen once, before
  any child starts: it migrates the schema, starts the managed anvil, deploys or attaches the
  registry, loads the demo data. It then keeps its runtime for the whole run, with the
  **anchoring worker**, and restarts the managed anvil if it dies. It serves no requests: it
  only supervises the children (uvicorn restarts a child that dies).
* **Each child** builds a *follower* runtime (:meth:`Runtime.start` with ``follower=True``): no
  migrations, never an anvil or a deployment of its own, no anchoring worker; a
  :class:`~backend.services.anchoring.chain_keeper.ChainKeeper` keeps its chain client fresh
  for readers.

Why the anchoring worker runs in the parent only, rather than in every process: the parent is
otherwise idle, so building Merkle trees and sending transactions there takes no GIL time from
request handling, which is what the children are for. N idle pollers would also ask the
database and the node N times a second for nothing, and on SQLite they would contend to build
the same batch. Safety does not depend on this choice: an admin's "anchor now" runs in whichever
child takes the request, and ``sentrace anchor`` may run beside the server, so the sender lock
(``backend.services.anchoring.pass_lock``: an advisory lock on PostgreSQL, a ``flock``
beside a SQLite file) keeps every sender apart, and the nonce manager re-reads the node's
pending count so a process never signs with a nonce another process has used.

Settings reach the children through the environment only (``SENTRACE_*``), as they reach the
parent: :func:`prepare_environment` writes the derived values (the worker count, which divides
the public rate limit, and the public base URL) into ``os.environ`` before the children spawn.
Each response of a child carries its process id in ``X-SenTrace-Worker``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.config import Settings, get_settings
from backend.i18n.messages import message

if TYPE_CHECKING:
    from fastapi import FastAPI

    from backend.runtime import Runtime

logger = logging.getLogger(__name__)

#: The import string of the children's app factory.
WORKER_APP = "backend.web_workers:worker_app"
#: Response header naming the process that answered (multi-process mode only).
WORKER_HEADER = "X-SenTrace-Worker"
#: Log line format of every ``sentrace`` process, parent and children alike.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Environment variable holding the number of web workers (``Settings.web_workers``).
WORKERS_ENV = "SENTRACE_WEB_WORKERS"
#: Seconds a child may take to answer the parent's health ping before it is killed and
#: replaced. uvicorn's default (5 s) is shorter than a child's start on a busy two-core machine:
#: the spawned child imports the whole application before its ping thread exists, and in a
#: trial run a child starting beside its sibling missed the 5 s and was killed and replaced.
HEALTHCHECK_TIMEOUT_S = 30


class WorkersUnsupported(ValueError):
    """The configuration cannot be shared by several processes; the message says why."""


class WorkerStartFailed(RuntimeError):
    """A web worker exited before it started serving (uvicorn then stops the parent)."""


def prepare_environment(settings: Settings, workers: int) -> Settings:
    """Check that ``workers`` processes can share ``settings``; publish the count to them.

    The count goes into ``os.environ`` (and the cached settings are rebuilt) so the children,
    which read the same environment, and this process agree on it.
    """
    if workers > 1 and settings.uses_memory_chain:
        raise WorkersUnsupported(message("server.memory_chain_workers", workers=workers))
    os.environ[WORKERS_ENV] = str(workers)
    get_settings.cache_clear()
    return get_settings()


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT)


# ---------------------------------------------------------------------------- child side


def worker_app() -> FastAPI:
    """The app of one web worker (uvicorn calls this in each child: ``factory=True``)."""
    return build_worker_app()


def build_worker_app(*, log_level: int = logging.INFO) -> FastAPI:
    """A follower runtime from the environment and the app bound to it (see module docstring).

    The runtime is closed when the app's lifespan ends (the child's graceful shutdown).
    """
    from backend.app import create_app
    from backend.http.startup_heap import freeze_startup_heap
    from backend.runtime import Runtime

    configure_logging(log_level)
    runtime = Runtime.start(get_settings(), start_worker=False, follower=True)
    try:
        app = create_app(runtime)
        close_with_lifespan(app, runtime)
        app.add_middleware(WorkerHeader)
    except BaseException:
        runtime.close()
        raise
    freeze_startup_heap()
    logger.info("web worker %d ready", os.getpid())
    return app


def close_with_lifespan(app: FastAPI, runtime: Runtime) -> None:
    """Close ``runtime`` after the app's own lifespan (whatever it is) has ended."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(lifespan_app: Any) -> AsyncIterator[Any]:
        try:
            async with inner(lifespan_app) as state:
                yield state
        finally:
            await anyio.to_thread.run_sync(runtime.close)

    app.router.lifespan_context = lifespan


class WorkerHeader:
    """Pure ASGI middleware adding ``X-SenTrace-Worker: <pid>`` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._header = (WORKER_HEADER.lower().encode(), str(os.getpid()).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_pid(message: Message) -> None:
            if message["type"] == "http.response.start":
                response: MutableMapping[str, Any] = message
                response["headers"] = [*response.get("headers", ()), self._header]
            await send(message)

        await self.app(scope, receive, send_with_pid)


# --------------------------------------------------------------------------- parent side


def run_workers(
    app_factory: str,
    *,
    host: str,
    port: int,
    workers: int,
    log_level: str = "info",
    access_log: bool = True,
) -> None:
    """Serve ``app_factory`` (an import string) from ``workers`` processes until stopped.

    Returns after SIGINT or SIGTERM, once every child has stopped. Raises
    :class:`WorkerStartFailed` when a child could not start (uvicorn stops all of them then).
    """
    from uvicorn import Config
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    config = Config(
        app_factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=access_log,
        timeout_worker_healthcheck=HEALTHCHECK_TIMEOUT_S,
    )
    sock = config.bind_socket()
    try:
        supervisor = Multiprocess(config, sockets=[sock])
        supervisor.run()
    finally:
        sock.close()
    failed = [p.pid for p in supervisor.processes if p.exitcode == STARTUP_FAILURE]
    if failed:
        raise WorkerStartFailed(message("server.worker_failed", failed=failed))

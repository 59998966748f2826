"""A live SenTrace server on a free loopback port, with the world of lots, for Chromium.

uvicorn runs in a thread of the test process on a socket bound here (port 0, so the kernel
picks a free one and nothing can take it between choosing and binding). The app uses an
in-process eth-tester chain; anchoring is driven synchronously while the world is built.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.runtime import Runtime
from tests.support.browser import browser, page  # noqa: F401  (fixtures)
from tests.web.conftest import consumer_runtime
from tests.web.scenario import build_world

STARTUP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class LiveServer:
    url: str
    runtime: Runtime


def _serve(runtime: Runtime) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    config = uvicorn.Config(create_app(runtime), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_S)
        sock.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    runtime = consumer_runtime(tmp_path_factory.mktemp("live"))
    try:
        with TestClient(create_app(runtime)) as client:
            build_world(client, runtime)
        for url in _serve(runtime):
            yield LiveServer(url=url, runtime=runtime)
    finally:
        runtime.close()

"""Security tests: an in-process app for the matrices, a live server where a crash must show.

``live_server`` is a real ``sentrace serve`` (SQLite, in-process chain) shared by a module, for
inputs that could take a whole process down: in-process, such a bug would kill pytest itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import ServerProcess, server_env


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("live")
    env = server_env(root / "data", chain_rpc_url="memory", worker_enabled=False)
    server = ServerProcess(env=env, log_path=root / "server.log").start()
    try:
        yield server
    finally:
        server.stop()

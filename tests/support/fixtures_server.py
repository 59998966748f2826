"""Real ``sentrace serve`` processes, registered once for the whole suite by tests/conftest.py.

``server_factory`` starts servers on demand and stops (or reaps already killed) ones after the
test, so a failing test never leaves a process behind.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.support.server import ServerFactory, ServerProcess


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[ServerFactory]:
    """``server_factory(env, start=True, args=()) -> ServerProcess``; all stopped afterwards."""
    made: list[ServerProcess] = []

    def make(
        env: Mapping[str, str], *, start: bool = True, args: tuple[str, ...] = ()
    ) -> ServerProcess:
        server = ServerProcess(
            env=dict(env), log_path=tmp_path / f"server-{len(made)}.log", args=args
        )
        made.append(server)
        return server.start() if start else server

    try:
        yield make
    finally:
        for server in made:
            server.stop()

"""Real ``sentrace serve`` processes, registered once for the whole suite by tests/conftest.py.

``server_factory`` starts servers on demand; ``killable`` is the one server and one anvil node
of a fault test, which kills and restarts them (tests/support/killable.py). Both stop (or reap
already killed) processes after the test, so a failing test never leaves one behind.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.support.killable import KillableStack
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


@pytest.fixture
def killable(tmp_path: Path) -> Iterator[KillableStack]:
    """A server and an anvil node the test starts, kills and restarts; stopped afterwards."""
    stack = KillableStack(tmp_path)
    try:
        yield stack
    finally:
        stack.close()

"""A live SenTrace server on a free loopback port, with the world of lots, for Chromium.

The app uses an in-process eth-tester chain; anchoring is driven synchronously while the
world is built (tests/web/scenario.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from backend.runtime import Runtime
from tests.web.conftest import consumer_world
from tests.web.live import serving


@dataclass(frozen=True)
class LiveServer:
    url: str
    runtime: Runtime


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with consumer_world(tmp_path_factory.mktemp("live")) as runtime, serving(runtime) as url:
        yield LiveServer(url=url, runtime=runtime)

"""A live SenTrace server on a free loopback port, with the world of lots, for Chromium.

The app uses an in-process eth-tester chain; anchoring is driven synchronously while the
world is built (tests/web/scenario.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.runtime import Runtime
from tests.web.conftest import consumer_runtime
from tests.web.live import serving
from tests.web.scenario import build_world


@dataclass(frozen=True)
class LiveServer:
    url: str
    runtime: Runtime


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    runtime = consumer_runtime(tmp_path_factory.mktemp("live"))
    try:
        with TestClient(create_app(runtime)) as client:
            build_world(client, runtime)
        with serving(runtime) as url:
            yield LiveServer(url=url, runtime=runtime)
    finally:
        runtime.close()

"""Fixtures for the consumer page: one app over SQLite and an in-process chain per module.

The world of lots (tests/web/scenario.py) is built once per test module, because anchoring
deploys a registry and mines blocks; tests then only read it, or add scans under serials of
their own so they never depend on each other's order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.runtime import Runtime
from tests.support.app import make_settings
from tests.web.scenario import build_world

SCAN_WARN_THRESHOLD = 3
EXPLORER_TX = "https://explorer.example/tx/{tx}"
EXPLORER_BLOCK = "https://explorer.example/block/{block}"

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
PHONE = {"User-Agent": IPHONE}


def consumer_runtime(
    data_root: Path, *, database_url: str | None = None, **overrides: object
) -> Runtime:
    """A runtime with an in-process (eth-tester) chain and no worker thread, over a SQLite
    file in ``data_root`` unless ``database_url`` names another database."""
    values: dict[str, object] = {
        "chain_rpc_url": "memory",
        "scan_warn_threshold": SCAN_WARN_THRESHOLD,
        "explorer_tx_url": EXPLORER_TX,
        "explorer_block_url": EXPLORER_BLOCK,
        "rate_limit_per_minute": 0,
        **overrides,
    }
    url = database_url or f"sqlite:///{(data_root / 'ledger.db').as_posix()}"
    settings = make_settings(data_root / "data", url, **values)
    return Runtime.start(settings, start_worker=False)


@contextmanager
def consumer_world(data_root: Path) -> Iterator[Runtime]:
    """A :func:`consumer_runtime` with the world of lots built in it, closed on leaving."""
    runtime = consumer_runtime(data_root)
    try:
        with TestClient(create_app(runtime)) as client:
            build_world(client, runtime)
        yield runtime
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def world_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with consumer_world(tmp_path_factory.mktemp("consumer")) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def web(world_runtime: Runtime) -> Iterator[TestClient]:
    """A client of the consumer app with the world of lots in place."""
    with TestClient(create_app(world_runtime)) as client:
        yield client

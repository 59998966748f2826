"""A real anvil node for integration tests, one per test, state kept in the test's tmp_path.

Re-export the fixture where it is needed (``from tests.support.anvil import anvil_node`` in a
conftest.py or test module) and mark the tests ``@pytest.mark.anvil``. Without anvil the tests
skip locally and fail under CI=true (tests/support/components.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from backend.chain.anvil import ManagedAnvil
from backend.chain.client import ChainClient
from backend.chain.providers import http_web3
from backend.config import DEMO_ANCHOR_PRIVATE_KEY
from tests.support.components import anvil_binary


def start_anvil(data_dir: Path, **options: object) -> ManagedAnvil:
    """Start a ManagedAnvil from node_modules in ``data_dir`` (skips/fails when missing)."""
    return ManagedAnvil(data_dir, binary=anvil_binary(), **options).start()  # type: ignore[arg-type]


def demo_client(node: ManagedAnvil) -> ChainClient:
    """A client of ``node`` signing with anvil's first (prefunded) development account."""
    return ChainClient(
        http_web3(node.url), Account.from_key(DEMO_ANCHOR_PRIVATE_KEY), endpoint=node.url
    )


@pytest.fixture
def anvil_node(tmp_path: Path) -> Iterator[ManagedAnvil]:
    """A started anvil on a free loopback port, stopped (or already killed) after the test."""
    node = start_anvil(tmp_path / "anvil")
    try:
        yield node
    finally:
        node.stop()

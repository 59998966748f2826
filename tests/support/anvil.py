"""Starting a real anvil node from node_modules, and a client that signs on it.

The ``anvil_node`` fixture is in tests/support/fixtures_chain.py. Without anvil the tests
skip locally and fail under CI=true (tests/support/components.py).
"""

from __future__ import annotations

from pathlib import Path

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

"""Fixtures for the chain layer: an in-process chain client and the shared anvil node."""

from __future__ import annotations

import pytest
from eth_account import Account

from backend.chain.client import ChainClient
from backend.config import DEMO_ANCHOR_PRIVATE_KEY
from tests.support.anvil import anvil_node

__all__ = ["anvil_node", "memory_client"]


@pytest.fixture
def memory_client() -> ChainClient:
    """A fresh eth-tester chain with a deployed registry, signed by the demo account."""
    client = ChainClient.in_memory(Account.from_key(DEMO_ANCHOR_PRIVATE_KEY))
    client.deploy_registry()
    return client

"""Fixtures for the chain layer: an in-process chain client (anvil_node is suite-wide)."""

from __future__ import annotations

import pytest
from eth_account import Account

from backend.chain.client import ChainClient
from backend.config import DEMO_ANCHOR_PRIVATE_KEY


@pytest.fixture
def memory_client() -> ChainClient:
    """A fresh eth-tester chain with a deployed registry, signed by the demo account."""
    client = ChainClient.in_memory(Account.from_key(DEMO_ANCHOR_PRIVATE_KEY))
    client.deploy_registry()
    return client

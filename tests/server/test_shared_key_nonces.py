"""Two senders with one key on one real anvil: neither ever signs with a nonce the other used.

Each :class:`ChainClient` keeps its own nonce counter, as two server processes do. When the
other one has sent in between, the counter must follow the node's pending count before the
next transaction, instead of trying a used nonce and relying on the clash retry.
"""

from __future__ import annotations

import logging

import pytest
from eth_utils import keccak

from backend.chain import ChainClient, ManagedAnvil
from tests.support.anvil import demo_client

pytestmark = pytest.mark.anvil


def test_senders_sharing_a_key_take_turns_without_a_nonce_clash(
    anvil_node: ManagedAnvil, caplog: pytest.LogCaptureFixture
) -> None:
    first = demo_client(anvil_node)
    first.ensure_registry()
    second = demo_client(anvil_node)
    assert first.contract_address is not None
    second.attach(first.contract_address)

    order: list[ChainClient] = [first, second, second, first, second, first, first]
    hashes = []
    with caplog.at_level(logging.INFO, logger="backend.chain"):
        for n, client in enumerate(order):
            hashes.append(client.send_anchor_batch(keccak(text=f"root {n}"), n + 1))
    receipts = [first.wait_for_receipt(tx_hash) for tx_hash in hashes]

    assert [receipt.status for receipt in receipts] == [1] * len(order)
    nonces = [first.w3.eth.get_transaction(tx_hash)["nonce"] for tx_hash in hashes]
    assert nonces == list(range(1, len(order) + 1))  # nonce 0 deployed the registry
    assert "nonce clash" not in caplog.text
    assert caplog.text.count("used elsewhere") == 3  # each switch back to a stale client

"""The canary's block-hash read skips web3's formatters; it must answer what web3 answers.

``ChainView._block_hash`` asks the provider for ``eth_getBlockByNumber`` directly (it runs on
every verification). These tests compare it with ``w3.eth.get_block`` on the in-process chain
and on a real anvil node, for every block there is and for blocks that do not exist yet.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from web3 import Web3

from backend.chain.anvil import ManagedAnvil
from backend.chain.client import ChainClient
from backend.chain.providers import memory_web3
from backend.config import DEMO_ANCHOR_PRIVATE_KEY
from backend.services.verification.chain_view import ChainView, _hash_of_raw_block
from tests.support.anvil import demo_client


def _mine(w3: Web3, blocks: int) -> None:
    for _ in range(blocks):
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _assert_same_as_web3(client: ChainClient) -> None:
    w3 = client.w3
    head = w3.eth.block_number
    assert head >= 3
    for number in range(head + 1):
        expected = bytes(w3.eth.get_block(number)["hash"])
        assert ChainView._block_hash(client, number) == expected
    assert ChainView._block_hash(client, head + 1000) is None


def test_fast_block_hash_equals_web3_on_the_memory_chain() -> None:
    w3 = memory_web3()
    _mine(w3, 3)
    client = ChainClient(w3, Account.from_key(DEMO_ANCHOR_PRIVATE_KEY), endpoint="memory")
    _assert_same_as_web3(client)


@pytest.mark.anvil
def test_fast_block_hash_equals_web3_on_anvil(anvil_node: ManagedAnvil) -> None:
    client = demo_client(anvil_node)
    _mine(client.w3, 3)
    _assert_same_as_web3(client)


@pytest.mark.parametrize(
    "response",
    [
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "boom"}},
        {"jsonrpc": "2.0", "id": 1},
        {"jsonrpc": "2.0", "id": 1, "result": {"hash": "not hex"}},
        {"jsonrpc": "2.0", "id": 1, "result": {"number": "0x1"}},
        "not a dict",
    ],
)
def test_answers_it_cannot_read_go_back_to_web3(response: object) -> None:
    assert _hash_of_raw_block(response) == (False, None)


def test_a_missing_block_and_both_hash_spellings_are_read() -> None:
    digest = bytes(range(32))
    assert _hash_of_raw_block({"result": None}) == (True, None)
    assert _hash_of_raw_block({"result": {"hash": "0x" + digest.hex()}}) == (True, digest)
    assert _hash_of_raw_block({"result": {"hash": digest}}) == (True, digest)

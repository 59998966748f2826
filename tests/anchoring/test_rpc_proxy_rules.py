"""The hostile proxy's rules against a real anvil: each does to a client what it claims to.

A send answered by a dropped connection is on the node all the same; a rate limit refuses at
random but replayably (seeded), as JSON-RPC -32005 or as HTTP 429; a withheld transaction gets
its true hash back while the node has never heard of it, until it is handed over.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from eth_account import Account
from web3 import Web3

from backend.chain import ManagedAnvil
from backend.chain.error_classes import ErrorClass, classify
from backend.chain.errors import ChainUnavailable, to_chain_error, translate_errors
from backend.chain.providers import http_web3
from backend.config import DEMO_ANCHOR_PRIVATE_KEY
from tests.support.rpc_proxy import (
    RATE_LIMIT_CODE,
    RandomRateLimit,
    RpcProxy,
    TimeoutAfterForward,
    WithholdFromPool,
    tx_hash_of,
)

# Several seconds per test on a real node: run with the slow suites (CI runs them too).
pytestmark = pytest.mark.slow

SIGNER = Account.from_key(DEMO_ANCHOR_PRIVATE_KEY)
SOMEONE = "0x000000000000000000000000000000000000dEaD"


def rpc(url: str, method: str, *params: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    return httpx.post(url, json=body, timeout=10).json()


def signed_transfer(node: ManagedAnvil) -> str:
    """A signed 1-wei transfer from anvil's first account, as ``0x`` hex."""
    w3 = http_web3(node.url)
    tx = {
        "to": SOMEONE,
        "value": 1,
        "gas": 21_000,
        "maxFeePerGas": 10 * w3.eth.gas_price,
        "maxPriorityFeePerGas": 1,
        "nonce": w3.eth.get_transaction_count(SIGNER.address, "pending"),
        "chainId": w3.eth.chain_id,
    }
    return "0x" + bytes(SIGNER.sign_transaction(tx).raw_transaction).hex()


def known_to_node(node: ManagedAnvil, tx_hash: str) -> bool:
    return rpc(node.url, "eth_getTransactionByHash", tx_hash)["result"] is not None


@pytest.mark.anvil
def test_timeout_after_forward_drops_the_answer_but_the_node_has_the_transaction(
    anvil_node: ManagedAnvil,
) -> None:
    rule = TimeoutAfterForward(1.0)
    raw = signed_transfer(anvil_node)
    with RpcProxy(anvil_node.url, [rule]) as proxy:
        client = http_web3(proxy.url)
        with pytest.raises(ChainUnavailable), translate_errors(endpoint=proxy.url):
            client.eth.send_raw_transaction(raw)
        assert client.eth.block_number >= 1  # other calls pass untouched

    assert rule.dropped == [tx_hash_of(raw)]
    assert known_to_node(anvil_node, tx_hash_of(raw))


@pytest.mark.anvil
def test_timeout_after_forward_can_hang_past_the_client_timeout_and_spares_the_rest(
    anvil_node: ManagedAnvil,
) -> None:
    rule = TimeoutAfterForward(0.5, seed=3, hang_s=1.0)
    with RpcProxy(anvil_node.url, [rule]) as proxy:
        client = http_web3(proxy.url, timeout=0.3)
        outcomes = []
        for _ in range(8):
            raw = signed_transfer(anvil_node)
            started = time.monotonic()
            try:
                client.eth.send_raw_transaction(raw)
                outcomes.append("answered")
            except Exception as exc:  # web3's own type: the client's HTTP read timed out
                error = to_chain_error(exc, endpoint=proxy.url)
                assert isinstance(error, ChainUnavailable) and "timed out" in str(error)
                assert time.monotonic() - started < 1.0
                outcomes.append("timed out")
            assert known_to_node(anvil_node, tx_hash_of(raw))  # forwarded either way

    assert "answered" in outcomes and "timed out" in outcomes
    assert len(rule.dropped) == outcomes.count("timed out")


@pytest.mark.anvil
def test_random_rate_limit_refuses_like_infura_and_replays_with_its_seed(
    anvil_node: ManagedAnvil,
) -> None:
    first, again = RandomRateLimit(0.3, seed=7), RandomRateLimit(0.3, seed=7)
    runs = []
    for rule in (first, again):
        with RpcProxy(anvil_node.url, [rule]) as proxy:
            answers = [rpc(proxy.url, "eth_blockNumber") for _ in range(60)]
        runs.append(["error" in answer for answer in answers])
        refused = [answer["error"] for answer in answers if "error" in answer]
        assert {error["code"] for error in refused} == {RATE_LIMIT_CODE}
    assert runs[0] == runs[1]  # same seed, same refusals
    assert 5 <= sum(runs[0]) <= 35
    assert first.limited["eth_blockNumber"] == sum(runs[0])

    with RpcProxy(anvil_node.url, [RandomRateLimit(1.0)]) as proxy:
        client = http_web3(proxy.url)
        with pytest.raises(Exception) as caught:
            client.eth.get_block_number()
    error = to_chain_error(caught.value, endpoint=proxy.url)
    assert error is not None and error.code == RATE_LIMIT_CODE  # type: ignore[attr-defined]
    assert classify(error).kind is ErrorClass.TEMPORARY


@pytest.mark.anvil
def test_random_rate_limit_as_http_429_and_only_for_the_methods_named(
    anvil_node: ManagedAnvil,
) -> None:
    rule = RandomRateLimit(1.0, methods={"eth_getBalance"}, http_429=True)
    with RpcProxy(anvil_node.url, [rule]) as proxy:
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_getBalance",
            "params": [SOMEONE, "latest"],
        }
        response = httpx.post(proxy.url, json=body, timeout=10)
        assert response.status_code == 429
        assert response.json()["error"]["code"] == RATE_LIMIT_CODE
        client = http_web3(proxy.url)
        assert client.eth.block_number >= 0  # not a named method: passes
        with pytest.raises(Exception) as caught:
            client.eth.get_balance(Web3.to_checksum_address(SOMEONE))
    error = to_chain_error(caught.value, endpoint=proxy.url)
    assert isinstance(error, ChainUnavailable)  # web3 raises HTTP errors as its transport's
    assert classify(error).kind is ErrorClass.TEMPORARY


@pytest.mark.anvil
def test_withhold_from_pool_answers_the_hash_and_hands_the_transaction_over_later(
    anvil_node: ManagedAnvil,
) -> None:
    rule = WithholdFromPool(1.0, delay_s=1.5)
    raw = signed_transfer(anvil_node)
    nonce_before = rpc(anvil_node.url, "eth_getTransactionCount", SIGNER.address, "pending")
    with RpcProxy(anvil_node.url, [rule]) as proxy:
        answer = rpc(proxy.url, "eth_sendRawTransaction", raw)
        assert answer["result"] == tx_hash_of(raw)
        # Meanwhile the node knows nothing of it, and neither does a client asking the proxy.
        assert not known_to_node(anvil_node, answer["result"])
        assert rpc(proxy.url, "eth_getTransactionReceipt", answer["result"])["result"] is None
        pending = rpc(anvil_node.url, "eth_getTransactionCount", SIGNER.address, "pending")
        assert pending == nonce_before
        assert rule.wait_released(timeout=10)

    assert rule.withheld == [tx_hash_of(raw)]
    assert rule.released[0]["result"] == tx_hash_of(raw)
    receipt = rpc(anvil_node.url, "eth_getTransactionReceipt", tx_hash_of(raw))["result"]
    assert receipt is not None and receipt["status"] == "0x1"

"""ChainClient against a real anvil over JSON-RPC: the production code path, end to end."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from eth_utils import keccak

from backend.chain.anvil import ManagedAnvil
from backend.chain.client import ChainClient
from backend.chain.errors import ChainReverted, ChainUnavailable, StaleHeadsRoot
from backend.chain.types import HeadsUpdate
from backend.config import Settings
from backend.hashing.merkle import MerkleTree, leaf_hash
from tests.support.anvil import demo_client, start_anvil

pytestmark = pytest.mark.anvil

LOT = keccak(text="DT-SEN-2025-0042")


@pytest.fixture
def client(anvil_node: ManagedAnvil) -> ChainClient:
    chain = demo_client(anvil_node)
    chain.deploy_registry()
    return chain


def set_automine(client: ChainClient, enabled: bool) -> None:
    client.w3.provider.make_request("evm_setAutomine", [enabled])  # type: ignore[arg-type]


def test_from_settings_reaches_anvil_and_deploys(anvil_node: ManagedAnvil) -> None:
    chain = ChainClient.from_settings(Settings(), rpc_url=anvil_node.url)
    assert chain.is_connected()
    assert chain.chain_id == 31337
    address = chain.deploy_registry()
    assert chain.w3.eth.get_code(address).to_0x_hex() == chain.artifact.deployed_bytecode


def test_anchor_record_recall_and_read_back(client: ChainClient) -> None:
    pairs = [(LOT, keccak(text=f"event {i}")) for i in range(5)]
    tree = MerkleTree.build([leaf_hash(lot, event) for lot, event in pairs])

    anchored = client.anchor_batch(tree.root, len(pairs))
    recorded = client.record_lot_event(LOT, 2, pairs[0][1])
    client.grant_regulator(client.signer)  # the development admin makes itself a regulator
    client.recall(LOT, keccak(text="Quyết định thu hồi 17/2025"))

    anchor = client.anchor_of(tree.root)
    assert anchor is not None and anchor.event_count == 5 and anchor.anchorer == client.signer
    receipt = client.anchor_receipt(tree.root)
    assert receipt is not None and receipt.tx_hash == anchored.tx_hash
    assert client.verify(tree.proof(leaf_hash(*pairs[3])), tree.root, *pairs[3]) is True
    assert [(e.kind, e.tx_hash) for e in client.lot_events(LOT)] == [(2, recorded.tx_hash)]
    assert client.is_recalled(LOT) is True
    assert anchored.gas_used <= 57_000 and recorded.gas_used <= 30_000


def test_transactions_in_flight_get_distinct_nonces(client: ChainClient) -> None:
    set_automine(client, False)
    hashes = [client.send_anchor_batch(keccak(text=f"root {i}"), i + 1) for i in range(5)]
    nonces = [client.w3.eth.get_transaction(h)["nonce"] for h in hashes]
    assert len(set(nonces)) == 5
    assert nonces == sorted(nonces)

    client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    results = [client.wait_for_receipt(h, timeout=10) for h in hashes]
    assert {r.status for r in results} == {1}
    assert len({r.block_number for r in results}) == 1  # all five were pending together


def test_threads_sending_at_once_all_land(client: ChainClient) -> None:
    hashes: list[str] = []
    failures: list[BaseException] = []

    def send(i: int) -> None:
        try:
            hashes.append(client.send_record_lot_event(LOT, 3, keccak(text=f"thread {i}")))
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert all(client.wait_for_receipt(h, timeout=10).status == 1 for h in hashes)  # type: ignore[arg-type]
    assert len(client.lot_events(LOT)) == 6


def test_race_lost_on_chain_is_reported_with_the_custom_error(client: ChainClient) -> None:
    """Two anchors of one root pass pre-flight while pending; the second fails in the block."""
    root = keccak(text="raced root")
    set_automine(client, False)
    first = client.send_anchor_batch(root, 1)
    second = client.send_anchor_batch(root, 1)
    client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    assert client.wait_for_receipt(first, timeout=10).status == 1
    with pytest.raises(ChainReverted) as caught:
        client.wait_for_receipt(second, timeout=10)
    assert caught.value.error_name == "TraceRegistryRootAlreadyAnchored"
    assert caught.value.error_args[0] == root
    assert caught.value.tx_hash == second


def test_confirmations_follow_new_blocks(tmp_path: Path) -> None:
    node = start_anvil(tmp_path, block_time=0.5)
    try:
        chain = demo_client(node)
        chain.deploy_registry()
        tx_hash = chain.send_anchor_batch(keccak(text="deep"), 1)
        result = chain.wait_for_receipt(tx_hash, confirmations=3, timeout=30)
        assert chain.receipt_confirmations(result.block_number) >= 3
    finally:
        node.stop()


def test_stopped_node_gives_chain_unavailable_then_recovers(
    anvil_node: ManagedAnvil, client: ChainClient
) -> None:
    root = keccak(text="survives restart")
    client.anchor_batch(root, 9)
    port = anvil_node.port
    anvil_node.stop()

    with pytest.raises(ChainUnavailable) as caught:
        client.anchor_of(root)
    assert (
        str(caught.value) == f"chain node at {anvil_node.url} is unreachable (Connection refused)"
    )
    assert client.is_connected() is False
    with pytest.raises(ChainUnavailable):
        client.send_anchor_batch(keccak(text="while down"), 1)

    restarted = start_anvil(anvil_node.data_dir, port=port)
    try:
        anchor = client.anchor_of(root)
        assert anchor is not None and anchor.event_count == 9
        assert client.anchor_receipt(root) is not None
        assert client.anchor_batch(keccak(text="after restart"), 1).status == 1
    finally:
        restarted.stop()


def test_restarted_node_keeps_the_registry_it_remembers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    node = start_anvil(data)
    first = demo_client(node)
    address = first.ensure_registry(None, remember_file=first.remember_file(data))
    first.anchor_batch(keccak(text="kept"), 4)
    node.stop()

    node = start_anvil(data)  # a new port, the same state file
    try:
        second = demo_client(node)
        assert second.ensure_registry(None, remember_file=second.remember_file(data)) == address
        anchor = second.anchor_of(keccak(text="kept"))
        assert anchor is not None and anchor.event_count == 4
    finally:
        node.stop()


def test_a_heads_race_lost_on_chain_is_reported_as_a_stale_heads_root(
    client: ChainClient,
) -> None:
    """Two anchors built on the same heads root pass pre-flight; the second fails in the block."""
    empty, first_new, second_new = bytes(32), keccak(text="heads 1"), keccak(text="heads 2")
    set_automine(client, False)
    first = client.send_anchor_batch(keccak(text="a"), 1, HeadsUpdate(empty, first_new))
    second = client.send_anchor_batch(keccak(text="b"), 1, HeadsUpdate(empty, second_new))
    client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    assert client.wait_for_receipt(first, timeout=10).status == 1
    with pytest.raises(StaleHeadsRoot) as caught:
        client.wait_for_receipt(second, timeout=10)
    assert (caught.value.prev_heads_root, caught.value.current_heads_root) == (empty, first_new)
    assert caught.value.tx_hash == second
    assert client.heads_root() == first_new

"""The chain client's log reads against a real anvil behind a proxy that caps log ranges.

The proxy refuses ``eth_getLogs`` over more than 100 blocks, the way Besu refuses a range over
its ``--rpc-max-logs-range``, while the client's setting allows 1,000: the client must narrow
its queries by itself and still find every log, on a chain of more than 2,000 blocks whose
registry was given by address (so its logs are read from block 0). Receipts and block times
must spare it most log queries, and a stored cursor the rest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_utils import keccak

from backend.chain.anvil import ManagedAnvil
from backend.chain.client import ChainClient
from backend.chain.errors import ChainRejected
from backend.config import Settings
from backend.hashing.merkle import MerkleTree, leaf_hash
from tests.support.anvil import demo_client
from tests.support.node_app import rpc
from tests.support.rpc_proxy import LogRangeCap, Refuse, RpcProxy

pytestmark = pytest.mark.anvil

LOT = keccak(text="DT-SEN-2025-0099")
EMPTY_BLOCKS = 1_500


def mine(node: ManagedAnvil, blocks: int) -> None:
    """``blocks`` empty blocks a second apart, as on a real chain (anvil_mine alone stamps
    them all with the same second, which no real chain does)."""
    rpc(node.url, "anvil_mine", hex(blocks), hex(1))


@pytest.fixture
def cap() -> LogRangeCap:
    return LogRangeCap(100)


@pytest.fixture
def proxy(anvil_node: ManagedAnvil, cap: LogRangeCap) -> Iterator[RpcProxy]:
    with RpcProxy(anvil_node.url, [cap]) as running:
        yield running


@pytest.fixture
def writer(anvil_node: ManagedAnvil) -> ChainClient:
    """Deploys and sends straight to anvil, after 1,500 empty blocks."""
    mine(anvil_node, EMPTY_BLOCKS)
    client = demo_client(anvil_node)
    client.deploy_registry()
    return client


def reader(proxy: RpcProxy, writer: ChainClient) -> ChainClient:
    """A client through the proxy, attached by address (deployment block unknown: block 0)."""
    client = ChainClient.from_settings(Settings(rpc_max_log_range=1000), rpc_url=proxy.url)
    assert writer.contract_address is not None
    client.attach(writer.contract_address)
    assert client.from_block == 0
    return client


def test_lot_events_are_read_in_narrowed_ranges_then_from_the_cursor(
    anvil_node: ManagedAnvil, proxy: RpcProxy, cap: LogRangeCap, writer: ChainClient
) -> None:
    first = writer.record_lot_event(LOT, 1, keccak(text="harvest"))
    mine(anvil_node, 300)
    second = writer.record_lot_event(LOT, 2, keccak(text="transfer"))
    mine(anvil_node, 300)
    client = reader(proxy, writer)

    events = client.lot_events(LOT)

    assert [e.tx_hash for e in events] == [first.tx_hash, second.tx_hash]
    assert cap.refused == 4  # 1,000, 500, 250 and 125 blocks, then 62 at a time
    assert client.log_reader.ranges.span == 62
    assert cap.widest_answered == 62
    assert min(q[0] for q in cap.queries) == 0
    assert max(q[1] for q in cap.queries) == client.block_number()

    before = proxy.count("eth_getLogs")
    assert client.lot_events(LOT) == events
    assert proxy.count("eth_getLogs") == before  # no new block: nothing to read

    third = writer.record_lot_event(LOT, 3, keccak(text="recall"))
    assert [e.tx_hash for e in client.lot_events(LOT)][-1] == third.tx_hash
    assert proxy.count("eth_getLogs") == before + 1
    assert cap.queries[-1][0] > second.block_number


def test_a_reorg_below_the_cursor_makes_the_lot_read_again(
    anvil_node: ManagedAnvil, proxy: RpcProxy, writer: ChainClient
) -> None:
    kept = writer.record_lot_event(LOT, 1, keccak(text="harvest"))
    client = reader(proxy, writer)
    snapshot = rpc(anvil_node.url, "evm_snapshot")
    dropped = writer.record_lot_event(LOT, 2, keccak(text="transfer"))
    assert [e.tx_hash for e in client.lot_events(LOT)] == [kept.tx_hash, dropped.tx_hash]

    rpc(anvil_node.url, "evm_revert", snapshot)  # the transfer's block is replaced
    mine(anvil_node, 2)

    assert [e.tx_hash for e in client.lot_events(LOT)] == [kept.tx_hash]


@pytest.mark.slow  # mines enough anvil blocks to force a scan
def test_an_anchor_is_read_from_its_receipt_then_its_block_time_then_a_scan(
    anvil_node: ManagedAnvil, proxy: RpcProxy, cap: LogRangeCap, writer: ChainClient
) -> None:
    tree = MerkleTree.build([leaf_hash(LOT, keccak(text=f"event {i}")) for i in range(3)])
    anchored = writer.anchor_batch(tree.root, 3)
    mine(anvil_node, 400)
    client = reader(proxy, writer)
    info = client.anchor_of(tree.root)
    assert info is not None

    by_receipt = client.anchor_receipt(tree.root, tx_hash=anchored.tx_hash)
    assert proxy.count("eth_getLogs") == 0
    by_time = client.anchor_receipt(tree.root, timestamp=info.timestamp)
    assert proxy.count("eth_getLogs") <= 2  # the blocks of that second, once narrowed at most
    assert proxy.count("eth_getBlockByNumber") < 40  # a bisection, not a walk
    by_scan = client.anchor_receipt(tree.root, tx_hash="0x" + "ab" * 32)  # a wrong hint

    assert by_receipt == by_time == by_scan
    assert by_scan is not None
    assert (by_scan.block_number, by_scan.tx_hash) == (anchored.block_number, anchored.tx_hash)
    assert max(q[1] for q in cap.queries) < client.block_number()  # stopped where it was found
    assert client.anchor_receipt(keccak(text="never anchored")) is None


def test_a_refusal_that_is_not_about_ranges_reaches_the_caller(
    proxy: RpcProxy, writer: ChainClient
) -> None:
    client = reader(proxy, writer)
    proxy.rules.insert(0, Refuse("eth_getLogs", message="internal error"))

    with pytest.raises(ChainRejected, match="internal error"):
        client.lot_events(LOT)
    assert client.log_reader.ranges.span == 1000


def test_a_node_that_refuses_single_blocks_is_not_asked_below_one(
    proxy: RpcProxy, cap: LogRangeCap, writer: ChainClient
) -> None:
    cap.max_blocks = 0
    client = reader(proxy, writer)

    with pytest.raises(ChainRejected, match="exceeds maximum RPC range"):
        client.lot_events(LOT)
    assert client.log_reader.ranges.span == 1
    assert [last - first + 1 for first, last in cap.queries] == [
        1000,
        500,
        250,
        125,
        62,
        31,
        15,
        7,
        3,
        1,
    ]

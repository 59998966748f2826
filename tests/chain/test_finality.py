"""Finality on a real anvil: by depth, by the node's finalized/safe tags, by what it answers.

anvil answers both tags: ``safe`` trails its head by 32 blocks and ``finalized`` by 64 (both
clamped at genesis), so a transaction under the ``finalized`` policy waits for 64 more blocks.
A node that refuses the tag (the hostile proxy stands in for a pre-merge geth, a consortium
node) is read by depth instead. Only a chain this process owns is mined on for depth.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account

from backend.chain import ChainClient, ManagedAnvil
from backend.chain.finality import Finality
from backend.chain.providers import http_web3
from backend.config import DEMO_ANCHOR_PRIVATE_KEY, FinalityMode, Settings
from tests.support.anvil import demo_client, start_anvil
from tests.support.node_app import rpc
from tests.support.rpc_proxy import Answer, Forward, Request, RpcProxy, error_answer

pytestmark = pytest.mark.anvil

ROOT = bytes.fromhex("ab" * 32)


def head(url: str) -> int:
    return int(rpc(url, "eth_blockNumber"), 16)


def tagged(url: str, tag: str) -> int:
    return int(rpc(url, "eth_getBlockByNumber", tag, False)["number"], 16)


def mine(url: str, count: int) -> None:
    rpc(url, "anvil_mine", hex(count))


def refuse_block_tags(request: Request, _forward: Forward) -> Answer | None:
    """A node that knows no ``finalized``/``safe`` block, in geth's pre-merge words."""
    params = request.get("params") or []
    if request.get("method") == "eth_getBlockByNumber" and params[:1] in (["finalized"], ["safe"]):
        return error_answer(request, -39001, "finalized block not found")
    return None


@pytest.fixture
def sent(anvil_node: ManagedAnvil) -> tuple[ChainClient, str, int]:
    """A client with a registry, and one anchor mined at the head: (client, tx hash, block)."""
    chain = demo_client(anvil_node)
    chain.deploy_registry()
    result = chain.anchor_batch(ROOT, 1)
    assert head(anvil_node.url) == result.block_number
    return chain, result.tx_hash, result.block_number


def test_anvil_answers_both_tags_trailing_its_head(anvil_node: ManagedAnvil) -> None:
    url = anvil_node.url
    assert (tagged(url, "safe"), tagged(url, "finalized")) == (0, 0)
    mine(url, 100)
    assert (head(url), tagged(url, "safe"), tagged(url, "finalized")) == (100, 68, 36)


def test_depth_waits_for_blocks_on_a_chain_it_does_not_own(
    anvil_node: ManagedAnvil, sent: tuple[ChainClient, str, int]
) -> None:
    chain, tx_hash, block = sent
    finality = Finality(FinalityMode.DEPTH, 3)
    assert finality.tag(chain) is None
    assert not finality.is_final(chain, block, tx_hash)
    mine(anvil_node.url, 1)
    assert not finality.is_final(chain, block, tx_hash)
    assert head(anvil_node.url) == block + 1  # nothing mined by the check
    mine(anvil_node.url, 1)
    assert finality.is_final(chain, block, tx_hash)


def test_an_owned_development_chain_is_mined_for_depth(
    anvil_node: ManagedAnvil, sent: tuple[ChainClient, str, int]
) -> None:
    chain, tx_hash, block = sent
    assert Finality(FinalityMode.DEPTH, 3, mines=True).is_final(chain, block, tx_hash)
    assert head(anvil_node.url) == block + 2  # exactly what three confirmations need


def test_a_transaction_moved_by_a_reorg_is_not_final(
    anvil_node: ManagedAnvil, sent: tuple[ChainClient, str, int]
) -> None:
    chain, tx_hash, block = sent
    mine(anvil_node.url, 5)
    finality = Finality(FinalityMode.DEPTH, 3)
    assert finality.is_final(chain, block, tx_hash)
    rpc(anvil_node.url, "anvil_reorg", 7, [])  # the anchor's block and those on top replaced
    assert not finality.is_final(chain, block, tx_hash)
    assert finality.is_final(chain, block)  # without a transaction: depth alone


def test_finalized_waits_until_the_finalized_block_passes(
    anvil_node: ManagedAnvil, sent: tuple[ChainClient, str, int]
) -> None:
    chain, tx_hash, block = sent
    finality = Finality(FinalityMode.FINALIZED, 1)
    assert finality.tag(chain) == "finalized"
    mine(anvil_node.url, 63)  # 64 deep: far past any depth setting, not yet finalized
    assert tagged(anvil_node.url, "finalized") == block - 1
    assert not finality.is_final(chain, block, tx_hash)
    mine(anvil_node.url, 1)
    assert finality.is_final(chain, block, tx_hash)
    mark = finality.mark(chain, with_hash=True)
    assert (mark.number, mark.tag) == (block, "finalized")
    assert mark.block_hash == rpc(anvil_node.url, "eth_getBlockByNumber", hex(block), False)["hash"]


def test_safe_and_a_least_depth_under_a_tag(
    anvil_node: ManagedAnvil, sent: tuple[ChainClient, str, int]
) -> None:
    chain, tx_hash, block = sent
    mine(anvil_node.url, 32)
    assert Finality(FinalityMode.SAFE, 1).is_final(chain, block, tx_hash)
    assert not Finality(FinalityMode.SAFE, 34).is_final(chain, block, tx_hash)


def test_a_tag_is_mined_for_on_an_owned_development_chain(
    anvil_node: ManagedAnvil, sent: tuple[ChainClient, str, int]
) -> None:
    chain, tx_hash, block = sent
    assert Finality(FinalityMode.FINALIZED, 1, mines=True).is_final(chain, block, tx_hash)
    assert tagged(anvil_node.url, "finalized") == block


def test_a_node_without_the_tag_is_read_by_depth(
    anvil_node: ManagedAnvil, sent: tuple[ChainClient, str, int]
) -> None:
    _, tx_hash, block = sent
    demo = Account.from_key(DEMO_ANCHOR_PRIVATE_KEY)
    with RpcProxy(anvil_node.url, [refuse_block_tags]) as proxy:
        chain = ChainClient(http_web3(proxy.url), demo, endpoint=proxy.url)
        finality = Finality(FinalityMode.FINALIZED, 2)
        assert finality.tag(chain) is None
        assert not finality.is_final(chain, block, tx_hash)
        mine(anvil_node.url, 1)
        assert finality.is_final(chain, block, tx_hash)
        asked = proxy.count("eth_getBlockByNumber")
        assert finality.tag(chain) is None  # remembered: not asked again at once
        assert proxy.count("eth_getBlockByNumber") == asked


def test_auto_uses_depth_on_development_chains(
    anvil_node: ManagedAnvil, sent: tuple[ChainClient, str, int]
) -> None:
    chain, _, _ = sent
    assert Finality(FinalityMode.AUTO).tag(chain) is None
    memory = ChainClient.in_memory(Account.create())
    assert Finality(FinalityMode.AUTO).tag(memory) is None


def test_auto_uses_finalized_elsewhere_when_the_node_answers_it(tmp_path: Path) -> None:
    node = start_anvil(tmp_path / "anvil", chain_id=84_532)  # not a development chain id
    try:
        stranger = Account.create()  # the demo key is refused off development chains
        chain = ChainClient(http_web3(node.url), stranger, endpoint=node.url)
        assert Finality(FinalityMode.AUTO).tag(chain) == "finalized"
        with RpcProxy(node.url, [refuse_block_tags]) as proxy:
            refused = ChainClient(http_web3(proxy.url), stranger, endpoint=proxy.url)
            assert Finality(FinalityMode.AUTO).tag(refused) is None
        mine(node.url, 3)
        owned = Finality(FinalityMode.DEPTH, 10, mines=True)
        assert not owned.is_final(chain, 3)
        assert head(node.url) == 3  # never mined on a chain that is not a development one
    finally:
        node.stop()


def test_one_policy_per_process_for_the_same_settings() -> None:
    managed = Settings(chain_rpc_url=None, confirmations=3)
    remote = Settings(chain_rpc_url="http://127.0.0.1:1", finality="finalized")
    assert Finality.from_settings(managed) is Finality.from_settings(Settings(confirmations=3))
    assert Finality.from_settings(managed).mines and not Finality.from_settings(remote).mines
    assert Finality.from_settings(remote).mode is FinalityMode.FINALIZED
    assert Finality.from_settings(Settings(chain_rpc_url="memory")).mines

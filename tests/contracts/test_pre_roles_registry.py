"""A registry deployed before the admin/operator split and the pause stays in service.

Its bytecode (tests/contracts/fixtures/trace_registry_pre_roles.json) took one constructor
argument and granted it every role; its functions and events are the ones the current build
still has, so the current client reads it (anchors, proofs, heads root, milestones, recalls)
and keeps anchoring on it. Only the new surface is missing: it cannot be paused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from backend.chain import ChainClient, ChainReverted
from backend.chain.artifacts import registry_artifact
from backend.chain.registry_admin import RegistryAdmin
from backend.chain.types import EMPTY_HEADS_ROOT, HeadsUpdate
from backend.config import DEMO_ANCHOR_PRIVATE_KEY, MEMORY_CHAIN
from backend.hashing.merkle import MerkleTree, leaf_hash

PRE_ROLES = Path(__file__).parent / "fixtures" / "trace_registry_pre_roles.json"
LOT = keccak(text="DT-2025-0042")
HEADS = keccak(text="heads root after the first batch")


@pytest.fixture
def old_registry() -> tuple[ChainClient, dict[str, Any]]:
    """The current client attached to a registry deployed from the pre-roles bytecode."""
    build = json.loads(PRE_ROLES.read_text(encoding="utf-8"))
    client = ChainClient.in_memory(Account.from_key(DEMO_ANCHOR_PRIVATE_KEY))
    w3 = client.w3
    creation = build["bytecode"] + encode(["address"], [client.signer]).hex()
    tx = {"from": w3.eth.accounts[0], "data": creation, "gas": 3_000_000}
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))  # type: ignore[arg-type]
    client.attach(receipt["contractAddress"], from_block=receipt["blockNumber"])
    return client, build


def test_the_old_build_is_not_the_current_one(old_registry: tuple[ChainClient, Any]) -> None:
    client, build = old_registry
    assert client.contract_address is not None
    code = client.w3.eth.get_code(client.contract_address).to_0x_hex()
    assert code == build["deployedBytecode"] != registry_artifact().deployed_bytecode
    assert build["constructor"][0]["inputs"] == [
        {"internalType": "address", "name": "admin", "type": "address"}
    ]


def test_the_current_client_anchors_and_reads_on_it(old_registry: tuple[ChainClient, Any]) -> None:
    client, _ = old_registry
    pairs = [(LOT, keccak(text=f"event-{i}")) for i in range(3)]
    tree = MerkleTree.build([leaf_hash(lot, event) for lot, event in pairs])

    anchored = client.anchor_batch(tree.root, 3, HeadsUpdate(EMPTY_HEADS_ROOT, HEADS))
    recorded = client.record_lot_event(LOT, 2, pairs[0][1])
    client.recall(LOT, keccak(text="notice"))

    assert anchored.status == recorded.status == 1
    info = client.anchor_of(tree.root)
    assert info is not None and (info.event_count, info.anchorer) == (3, client.signer)
    assert client.verify(tree.proof(leaf_hash(*pairs[2])), tree.root, *pairs[2]) is True
    assert client.heads_root() == HEADS
    found = client.anchor_receipt(tree.root, tx_hash=anchored.tx_hash)
    assert found is not None and found.block_number == anchored.block_number
    assert [(e.kind, e.event_hash) for e in client.lot_events(LOT)] == [(2, pairs[0][1])]
    assert client.is_recalled(LOT) is True


def test_it_cannot_be_paused(old_registry: tuple[ChainClient, Any]) -> None:
    client, _ = old_registry
    assert client.contract_address is not None
    admin = RegistryAdmin(
        client.w3, Account.from_key(DEMO_ANCHOR_PRIVATE_KEY), endpoint=MEMORY_CHAIN
    )
    admin.attach(client.contract_address)
    with pytest.raises(ChainReverted):
        admin.pause()

"""The contract's ``verify(proof, root, lotKey, eventHash)`` agrees with the Python verifier.

Deploys the committed TraceRegistry artifact on eth-tester (py-evm in process), anchors the roots
of random batches and checks proofs on chain: valid ones hold once the root is anchored, and a
flipped bit anywhere (proof element, root, lot key, event hash) makes them fail, as off chain.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.contract import Contract
from web3.providers.eth_tester import EthereumTesterProvider

from backend.hashing import MerkleTree, leaf_hash, lot_key, verify_proof
from tests.hashing.strategies import flip_bit, hashes
from tests.support.components import REPO_ROOT, missing

ARTIFACT = REPO_ROOT / "contracts" / "build" / "TraceRegistry.json"


@pytest.fixture(scope="module")
def registry() -> Iterator[Contract]:
    if not ARTIFACT.exists():
        missing("contracts/build/TraceRegistry.json", "compile the contracts")
    artifact = json.loads(ARTIFACT.read_text(encoding="utf-8"))
    w3 = Web3(EthereumTesterProvider())
    admin = w3.eth.accounts[0]
    w3.eth.default_account = admin
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(0, admin, admin).transact())
    yield w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


def anchor(registry: Contract, root: bytes, count: int) -> None:
    """Anchor ``root`` unless an earlier example already did (the contract refuses twice)."""
    timestamp, _, _ = registry.functions.anchorOf(root).call()
    if timestamp == 0:
        empty_heads = bytes(32)  # the heads root stays the empty map's: these check v1 proofs
        registry.functions.anchorBatch(root, count, empty_heads, empty_heads).transact()


def on_chain(registry: Contract, proof: list[bytes], root: bytes, key: bytes, event: bytes) -> bool:
    result: bool = registry.functions.verify(proof, root, key, event).call()
    return result


@settings(max_examples=25, deadline=None)
@given(
    events=st.lists(
        st.tuples(st.sampled_from(["DT-XOAI-1", "LV-QUYT-2", "Sen-3"]), hashes),
        min_size=1,
        max_size=64,
    ),
    rng=st.randoms(use_true_random=False),
)
def test_contract_verify_agrees_with_python_on_random_batches(
    registry: Contract, events: list[tuple[str, bytes]], rng: random.Random
) -> None:
    keyed = [(lot_key(code), event) for code, event in events]
    leaves = [leaf_hash(key, event) for key, event in keyed]
    tree = MerkleTree.build(leaves)
    anchor(registry, tree.root, len(leaves))
    for key, event in rng.sample(keyed, min(len(keyed), 4)):
        proof = tree.proof(leaf_hash(key, event))
        assert verify_proof(proof, tree.root, leaf_hash(key, event))
        assert on_chain(registry, proof, tree.root, key, event) is True
        bad_key, bad_event = flip_bit(key, rng.randrange(256)), flip_bit(event, rng.randrange(256))
        assert on_chain(registry, proof, tree.root, bad_key, event) is False
        assert on_chain(registry, proof, tree.root, key, bad_event) is False
        assert (
            on_chain(registry, proof, flip_bit(tree.root, rng.randrange(256)), key, event) is False
        )
        if proof:
            broken = list(proof)
            position = rng.randrange(len(proof))
            broken[position] = flip_bit(proof[position], rng.randrange(256))
            assert not verify_proof(broken, tree.root, leaf_hash(key, event))
            assert on_chain(registry, broken, tree.root, key, event) is False


def test_a_valid_proof_fails_on_chain_until_its_root_is_anchored(registry: Contract) -> None:
    rng = random.Random(7)
    keyed = [(lot_key("DT-XOAI-2026-0001"), rng.randbytes(32)) for _ in range(5)]
    tree = MerkleTree.build([leaf_hash(k, e) for k, e in keyed])
    key, event = keyed[2]
    proof = tree.proof(leaf_hash(key, event))
    assert on_chain(registry, proof, tree.root, key, event) is False
    anchor(registry, tree.root, len(keyed))
    assert on_chain(registry, proof, tree.root, key, event) is True


def test_a_batch_of_one_verifies_on_chain_with_an_empty_proof(registry: Contract) -> None:
    key, event = lot_key("LV-QUYT-2026-0042"), random.Random(11).randbytes(32)
    tree = MerkleTree.build([leaf_hash(key, event)])
    anchor(registry, tree.root, 1)
    assert on_chain(registry, [], tree.root, key, event) is True
    assert on_chain(registry, [tree.root], tree.root, key, event) is False

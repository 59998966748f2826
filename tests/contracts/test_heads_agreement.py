"""The contract's verifyHead/verifyNoHead and the Python heads map agree on random maps.

Each example builds a random map (lot keys drawn so that some share long prefixes), anchors its
root on one registry (each anchor moves the heads root on from the previous example's), and asks
both sides about every lot, about an absent lot, and about a wrong seq.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from web3.contract import Contract

from backend.chain.artifacts import registry_artifact
from backend.chain.providers import memory_web3
from backend.hashing import HeadsMap, verify_head, verify_no_head

# Many random maps folded on the EVM (about 13 s): run with the slow suites (CI runs them too).
pytestmark = pytest.mark.slow

words = st.binary(min_size=32, max_size=32)


@st.composite
def lot_keys(draw: st.DrawFn) -> list[bytes]:
    """Distinct keys; some are another key with a few low bits flipped (long shared paths)."""
    keys = draw(st.lists(words, min_size=0, max_size=6, unique=True))
    for base in list(keys[:2]):
        flip = draw(st.integers(min_value=1, max_value=2**12 - 1))
        near = (int.from_bytes(base) ^ flip).to_bytes(32)
        if near not in keys:
            keys.append(near)
    return keys


@pytest.fixture(scope="module")
def registry() -> Iterator[Contract]:
    w3 = memory_web3()
    admin = w3.eth.accounts[0]
    w3.eth.default_account = admin
    artifact = registry_artifact()
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(0, admin, admin).transact())
    yield w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def anchor_heads_root(registry: Contract, new: bytes, salt: int) -> None:
    """Move the registry's heads root to ``new`` with an anchor of a fresh batch root."""
    current = registry.functions.headsRoot().call()
    batch_root = (salt + 1).to_bytes(32)
    registry.functions.anchorBatch(batch_root, 1, current, new).transact()


@settings(max_examples=25, deadline=None)
@given(
    keys=lot_keys(),
    heads=st.lists(st.tuples(words, st.integers(1, 2**64 - 1)), min_size=8, max_size=8),
    absent=words,
)
def test_on_chain_folds_agree_with_the_python_map(
    registry: Contract, keys: list[bytes], heads: list[tuple[bytes, int]], absent: bytes
) -> None:
    entries = [(key, *heads[i]) for i, key in enumerate(keys)]
    built = HeadsMap.from_heads(entries)
    anchor_heads_root(registry, built.root, salt=registry.w3.eth.block_number)
    fns = registry.functions

    for key, head, seq in entries:
        bitmap, siblings = built.proof(key)
        assert verify_head(built.root, key, head, seq, bitmap, siblings) is True
        assert fns.verifyHead(key, head, seq, bitmap, list(siblings)).call() is True
        wrong_seq = seq - 1 if seq > 1 else 2
        assert fns.verifyHead(key, head, wrong_seq, bitmap, list(siblings)).call() is False
        assert fns.verifyNoHead(key, bitmap, list(siblings)).call() is False
    if absent not in keys:
        bitmap, siblings = built.proof(absent)
        assert verify_no_head(built.root, absent, bitmap, siblings) is True
        assert fns.verifyNoHead(absent, bitmap, list(siblings)).call() is True

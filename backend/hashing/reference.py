"""The rules spelled out with the reference libraries, slowly and obviously.

Nothing in the application calls this module: the property tests compare the fast paths with it,
the benchmark measures it, and an outside verifier can read it next to ARCHITECTURE.md. Each
function is the most literal reading of one rule: ``rfc8785.dumps`` for canonical bytes,
``eth_abi.encode`` for the leaf, ``eth_utils.keccak`` for hashes, and a line-by-line port of
``@openzeppelin/merkle-tree``'s ``makeMerkleTree``/``getProof`` on hex strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import rfc8785
from eth_abi import encode as abi_encode
from eth_utils import keccak as eth_keccak

from backend.hashing.values import nfc


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    """Rule 2 as written: the ``rfc8785`` package on the NFC-normalised document."""
    return rfc8785.dumps(nfc(document))


def event_hash(document: Mapping[str, Any]) -> bytes:
    return eth_keccak(canonical_bytes(document))


def lot_key(lot_code: str) -> bytes:
    return eth_keccak(text=nfc(lot_code))


def leaf_hash(lot_key: bytes, event_hash: bytes) -> bytes:
    """OpenZeppelin's standard leaf: keccak256(keccak256(abi.encode(values)))."""
    return eth_keccak(eth_keccak(abi_encode(["bytes32", "bytes32"], [lot_key, event_hash])))


def node_hash(a: bytes, b: bytes) -> bytes:
    return eth_keccak(b"".join(sorted([a, b])))


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def build_tree(leaves: Sequence[bytes]) -> list[str]:
    """``makeMerkleTree`` over the sorted leaves, on hex strings like the JavaScript original."""
    if not leaves:
        raise ValueError("Expected non-zero number of leaves")
    ordered = sorted(leaves)
    tree: list[str] = [""] * (2 * len(ordered) - 1)
    for i, leaf in enumerate(ordered):
        tree[len(tree) - 1 - i] = _hex(leaf)
    for i in range(len(tree) - 1 - len(ordered), -1, -1):
        left = bytes.fromhex(tree[2 * i + 1][2:])
        right = bytes.fromhex(tree[2 * i + 2][2:])
        tree[i] = _hex(node_hash(left, right))
    return tree


def get_proof(tree: Sequence[str], index: int) -> list[str]:
    """``getProof``: siblings from a tree index up to the root."""
    proof = []
    while index > 0:
        proof.append(tree[index - (-1) ** (index % 2)])
        index = (index - 1) // 2
    return proof


def tree_and_proofs(leaves: Sequence[bytes]) -> tuple[bytes, dict[bytes, list[bytes]]]:
    """Root and every leaf's proof, looking leaves up the way OpenZeppelin's ``hashLookup`` does."""
    tree = build_tree(leaves)
    lookup = {tree[i]: i for i in range(len(tree) - 1, len(tree) - 1 - len(leaves), -1)}
    proofs = {
        bytes.fromhex(leaf[2:]): [bytes.fromhex(p[2:]) for p in get_proof(tree, index)]
        for leaf, index in lookup.items()
    }
    return bytes.fromhex(tree[0][2:]), proofs


def verify_proof(proof: Sequence[bytes], root: bytes, leaf: bytes) -> bool:
    computed = leaf
    for element in proof:
        computed = node_hash(computed, element)
    return computed == root

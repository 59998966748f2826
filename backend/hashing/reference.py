"""The rules spelled out with the reference libraries, slowly and obviously.

Nothing in the application calls this module: the property tests compare the fast paths with it,
the benchmark measures it, and an outside verifier can read it next to ARCHITECTURE.md. Each
function is the most literal reading of one rule: ``rfc8785.dumps`` for canonical bytes,
``eth_abi.encode`` for the leaf, ``eth_utils.keccak`` for hashes, and a line-by-line port of
``@openzeppelin/merkle-tree``'s ``makeMerkleTree``/``getProof`` on hex strings.

Rules v2 below: commitments, and the heads map computed level by level over the whole depth
(every non-empty node of every height, 256 × n hashes), with proofs read off those levels.
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


# Rules v2 --------------------------------------------------------------------------------------


def commitment(value: Any, salt: bytes) -> str:
    """keccak256(32-byte salt ‖ RFC 8785 bytes of the NFC value), as ``0x`` hex."""
    assert len(salt) == 32
    return _hex(eth_keccak(salt + rfc8785.dumps(nfc(value))))


def head_leaf(lot_key: bytes, head_hash: bytes, seq: int) -> bytes:
    """keccak256(keccak256(abi.encode(bytes32, bytes32, uint64)))."""
    encoded = abi_encode(["bytes32", "bytes32", "uint64"], [lot_key, head_hash, seq])
    return eth_keccak(eth_keccak(encoded))


ZERO = bytes(32)


def heads_node(left: bytes, right: bytes) -> bytes:
    return ZERO if left == right == ZERO else eth_keccak(left + right)


def heads_levels(leaves: Mapping[bytes, bytes]) -> list[dict[int, bytes]]:
    """Every non-empty node, height by height: ``levels[h][lot_key >> h]``, the root at 256.

    Height 0 holds the leaves by key; each node above is ``heads_node`` of its two children,
    the left one the child whose prefix ends in bit 0.
    """
    levels = [{int.from_bytes(key, "big"): leaf for key, leaf in leaves.items() if leaf != ZERO}]
    for _height in range(256):
        below = levels[-1]
        above: dict[int, bytes] = {}
        for prefix in {p >> 1 for p in below}:
            pair = below.get(prefix << 1, ZERO), below.get(prefix << 1 | 1, ZERO)
            above[prefix] = heads_node(*pair)
        levels.append(above)
    return levels


def heads_root(leaves: Mapping[bytes, bytes]) -> bytes:
    return heads_levels(leaves)[256].get(0, ZERO)


def head_proof(leaves: Mapping[bytes, bytes], lot_key: bytes) -> tuple[int, list[bytes]]:
    """(bitmap, siblings): the sibling of the lot's node at each height, non-zero ones listed."""
    levels = heads_levels(leaves)
    key = int.from_bytes(lot_key, "big")
    bitmap, siblings = 0, []
    for height in range(256):
        sibling = levels[height].get((key >> height) ^ 1, ZERO)
        if sibling != ZERO:
            bitmap |= 1 << height
            siblings.append(sibling)
    return bitmap, siblings


def fold_head_proof(lot_key: bytes, leaf: bytes, bitmap: int, siblings: Sequence[bytes]) -> bytes:
    """Rule 4 word for word: n = leaf; for i in 0…255: s = next sibling if bit i else 0; …"""
    key = int.from_bytes(lot_key, "big")
    remaining = list(siblings)
    node = leaf
    for i in range(256):
        sibling = remaining.pop(0) if (bitmap >> i) & 1 else ZERO
        node = heads_node(sibling, node) if (key >> i) & 1 else heads_node(node, sibling)
    assert not remaining
    return node

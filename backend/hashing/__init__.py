"""Canonical event documents, event hashes, Merkle trees, heads map and proofs (rules v1, v2).

These functions are the contract with every outside verifier: a change to any output is a new
rules version, never a fix. The fast paths here are proven byte-for-byte equal to the reference
spelling of the rules (``backend.hashing.reference``: ``rfc8785``, ``eth_abi``, ``eth_utils``)
by the property tests in tests/hashing, and tests/vectors holds fixed answers.

Modules: ``values`` (the canonical value space, NFC), ``jcs`` (RFC 8785 bytes), ``canonical``
(the event document, event hash, lot key), ``merkle`` (leaves, nodes, tree, proofs), ``keccak``,
``hexcodec``, ``errors`` (the exception tree), ``reference`` (slow, obvious implementations).
Rules v2: ``heads`` (head leaf, node, proof folding), ``heads_map`` and ``heads_store``
(the lot heads map itself).
"""

from __future__ import annotations

from backend.hashing.canonical import (
    SCHEMA,
    canonical_bytes,
    canonical_document,
    event_hash,
    lot_key,
)
from backend.hashing.errors import (
    EmptyTree,
    HashingError,
    InvalidHeadProof,
    InvalidHex,
    InvalidNode,
    InvalidSalt,
    LeafNotInTree,
    NonCanonicalValue,
)
from backend.hashing.heads import (
    HeadProof,
    fold_head_proof,
    head_leaf,
    heads_node,
    verify_head,
    verify_no_head,
)
from backend.hashing.heads_map import HeadsMap
from backend.hashing.heads_store import Child, MemoryNodeStore, Node, NodeStore
from backend.hashing.hexcodec import from_hex, to_hex
from backend.hashing.keccak import keccak
from backend.hashing.merkle import (
    MerkleTree,
    leaf_hash,
    leaf_hashes,
    node_hash,
    verify_proof,
)
from backend.hashing.values import MAX_SAFE_INTEGER, canonical_value, nfc

__all__ = [
    "MAX_SAFE_INTEGER",
    "SCHEMA",
    "Child",
    "EmptyTree",
    "HashingError",
    "HeadProof",
    "HeadsMap",
    "InvalidHeadProof",
    "InvalidHex",
    "InvalidNode",
    "InvalidSalt",
    "LeafNotInTree",
    "MemoryNodeStore",
    "MerkleTree",
    "Node",
    "NodeStore",
    "NonCanonicalValue",
    "canonical_bytes",
    "canonical_document",
    "canonical_value",
    "event_hash",
    "fold_head_proof",
    "from_hex",
    "head_leaf",
    "heads_node",
    "keccak",
    "leaf_hash",
    "leaf_hashes",
    "lot_key",
    "nfc",
    "node_hash",
    "to_hex",
    "verify_head",
    "verify_no_head",
    "verify_proof",
]

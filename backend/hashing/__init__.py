"""Canonical event documents, event hashes, Merkle trees, heads map and proofs (rules v1, v2).

These functions are the contract with every outside verifier: a change to any output is a new
rules version, never a fix. The fast paths here are proven byte-for-byte equal to the reference
spelling of the rules (``backend.hashing.reference``: ``rfc8785``, ``eth_abi``, ``eth_utils``)
by the property tests in tests/hashing, and tests/vectors holds fixed answers.

Modules: ``values`` (the canonical value space, NFC), ``jcs`` (RFC 8785 bytes), ``canonical``
(the event document, event hash, lot key), ``merkle`` (leaves, nodes, tree, proofs), ``keccak``,
``hexcodec``, ``errors`` (the exception tree), ``reference`` (slow, obvious implementations).
Rules v2 (docs/proof-rules.md): ``canonical_v2`` (the document v2 and its lot facts),
``shape_v2`` (its shape, and reading stored bytes), ``commitments`` (private values),
``heads`` (head leaf, node, proof folding), ``heads_map`` and ``heads_store`` (the map itself).
Signatures (section 12): ``eip712`` (the typed data of events, signer changes and recalls, their
digests, signing and recovering the signer).
"""

from __future__ import annotations

from backend.hashing.canonical import (
    SCHEMA,
    canonical_bytes,
    canonical_document,
    event_hash,
    lot_key,
)
from backend.hashing.canonical_v2 import (
    canonical_document_v2,
    farm_facts,
    lot_facts,
    org_ref,
    org_ref_name,
    parent_list,
)
from backend.hashing.commitments import check_commitment, commit, is_commitment, new_salt
from backend.hashing.eip712 import (
    CUSTODY_CODES,
    CUSTODY_NAMES,
    SigningDomain,
    event_typed_data,
    org_key,
    recall_typed_data,
    recover_signer,
    sign_typed_data,
    signer_change_typed_data,
    typed_data_digest,
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
    verify_stored_proof,
)
from backend.hashing.shape_v2 import SCHEMA_V2, check_document_v2, read_document
from backend.hashing.values import MAX_SAFE_INTEGER, canonical_value, nfc

__all__ = [
    "CUSTODY_CODES",
    "CUSTODY_NAMES",
    "MAX_SAFE_INTEGER",
    "SCHEMA",
    "SCHEMA_V2",
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
    "SigningDomain",
    "canonical_bytes",
    "canonical_document",
    "canonical_document_v2",
    "canonical_value",
    "check_commitment",
    "check_document_v2",
    "commit",
    "event_hash",
    "event_typed_data",
    "farm_facts",
    "fold_head_proof",
    "from_hex",
    "head_leaf",
    "heads_node",
    "is_commitment",
    "keccak",
    "leaf_hash",
    "leaf_hashes",
    "lot_facts",
    "lot_key",
    "new_salt",
    "nfc",
    "node_hash",
    "org_key",
    "org_ref",
    "org_ref_name",
    "parent_list",
    "read_document",
    "recall_typed_data",
    "recover_signer",
    "sign_typed_data",
    "signer_change_typed_data",
    "to_hex",
    "typed_data_digest",
    "verify_head",
    "verify_no_head",
    "verify_proof",
    "verify_stored_proof",
]

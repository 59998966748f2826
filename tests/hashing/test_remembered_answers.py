"""Pure functions whose answers verification remembers give the answers a fresh call gives.

The recovered signer of a signature, a Merkle proof's fold, a heads-map proof's fold and the
check of stored canonical bytes are each remembered, keyed by exactly their inputs. Each is
compared here with the same work done afresh: a remembered "yes" for some inputs never
answers for other inputs, a refusal is never remembered, and a document read from remembered
bytes is a new object every time (editing one cannot change the next).
"""

from __future__ import annotations

import pytest
from eth_account import Account

from backend.hashing import (
    HashingError,
    MerkleTree,
    NonCanonicalValue,
    canonical_bytes,
    head_leaf,
    keccak,
    lot_key,
    read_document,
    shape_v2,
    to_hex,
    verify_head,
    verify_no_head,
    verify_proof,
    verify_stored_proof,
)
from backend.hashing import heads as heads_module
from backend.hashing import merkle as merkle_module
from backend.hashing.eip712 import (
    SigningDomain,
    event_typed_data,
    org_key,
    recover_signer,
    sign_typed_data,
)
from backend.hashing.heads_map import HeadsMap
from backend.services.verification import signatures
from tests.hashing.documents_v2 import document

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
OTHER_REGISTRY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
KEY = bytes.fromhex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")


def signed_document(seq: int = 2) -> tuple[dict[str, object], str, str]:
    """A later event of the test lot, its hash, and its signature for REGISTRY by KEY."""
    doc = document(seq=seq)
    event_hash = "0x" + keccak(canonical_bytes(doc)).hex()
    typed = event_typed_data(
        SigningDomain(chain_id=31337, verifying_contract=REGISTRY),
        org_key=org_key(str(doc["org"])),
        lot_key=lot_key(str(doc["lot"])),
        seq=seq,
        event_hash=bytes.fromhex(event_hash[2:]),
    )
    return doc, event_hash, sign_typed_data(typed, KEY)


def fresh_recovery(doc: dict[str, object], event_hash: str, signature: str, registry: str) -> str:
    """Recovery done from scratch, without anything remembered."""
    typed = event_typed_data(
        SigningDomain(chain_id=31337, verifying_contract=registry),
        org_key=org_key(str(doc["org"])),
        lot_key=lot_key(str(doc["lot"])),
        seq=int(str(doc["seq"])),
        event_hash=bytes.fromhex(event_hash[2:]),
    )
    recovered = recover_signer(typed, signature)
    assert recovered is not None
    return recovered


def test_a_remembered_signer_recovery_gives_the_fresh_answer() -> None:
    doc, event_hash, signature = signed_document()
    domain = SigningDomain(chain_id=31337, verifying_contract=REGISTRY)
    signatures._recover.cache_clear()
    first = signatures.recover(doc, event_hash, signature, domain)
    second = signatures.recover(doc, event_hash, signature, domain)
    assert signatures._recover.cache_info().hits == 1  # the second answer was remembered
    assert first == second == fresh_recovery(doc, event_hash, signature, REGISTRY)
    assert first == Account.from_key(KEY).address

    # Another domain, or another event under the same signature, is recovered afresh.
    other = SigningDomain(chain_id=31337, verifying_contract=OTHER_REGISTRY)
    elsewhere = signatures.recover(doc, event_hash, signature, other)
    assert elsewhere == fresh_recovery(doc, event_hash, signature, OTHER_REGISTRY) != first
    moved = {**doc, "seq": 3}
    assert signatures.recover(moved, event_hash, signature, domain) == fresh_recovery(
        moved, event_hash, signature, REGISTRY
    )
    assert signatures.recover(moved, event_hash, signature, domain) != first


def test_remembered_merkle_folds_give_the_fresh_answers() -> None:
    leaves = [keccak(bytes([n])) for n in range(7)]
    tree = MerkleTree.build(leaves)
    proofs = tree.proofs()
    merkle_module._remembered_fold.cache_clear()
    for _ in range(2):  # the second round answers from memory
        for leaf in leaves:
            proof = proofs[leaf]
            assert verify_proof(proof, tree.root, leaf) is True
            assert merkle_module._fold(proof, tree.root, leaf) is True
            wrong = keccak(leaf)
            assert verify_proof(proof, tree.root, wrong) is merkle_module._fold(
                proof, tree.root, wrong
            )
            assert verify_proof(proof, tree.root, wrong) is False
    assert merkle_module._remembered_fold.cache_info().hits >= len(leaves)
    # An edited proof element is a new key: refused, whatever was remembered for the old one.
    leaf = leaves[0]
    edited = [bytes(32), *proofs[leaf][1:]]
    assert verify_proof(edited, tree.root, leaf) is False
    with pytest.raises(ValueError):  # malformed input still raises, remembered or not
        verify_proof([b"short"], tree.root, leaf)


def test_remembered_folds_of_stored_hex_proofs_give_the_fresh_answers() -> None:
    leaves = [keccak(bytes([n])) for n in range(5)]
    tree = MerkleTree.build(leaves)
    root = to_hex(tree.root)
    other_root = to_hex(keccak(tree.root))
    merkle_module._remembered_stored_fold.cache_clear()
    for _ in range(2):
        for leaf, proof in tree.proofs().items():
            stored = [to_hex(node) for node in proof]
            assert verify_stored_proof(stored, root, leaf) is True
            assert verify_stored_proof(stored, root.upper().replace("0X", "0x"), leaf) is True
            assert verify_stored_proof(stored, other_root, leaf) is False
            assert merkle_module._fold(proof, keccak(tree.root), leaf) is False
    assert merkle_module._remembered_stored_fold.cache_info().hits >= len(leaves)
    for malformed in (["0x1234"], ["not hex"], [to_hex(bytes(32))[:-1] + "g"]):
        for _ in range(2):  # refused each time, never remembered as a pass
            with pytest.raises(HashingError):
                verify_stored_proof(malformed, root, leaves[0])
    with pytest.raises(HashingError):
        verify_stored_proof([7], root, leaves[0])  # type: ignore[list-item]


def test_remembered_head_folds_give_the_fresh_answers() -> None:
    heads = HeadsMap()
    keys = [lot_key(f"DT-{n}") for n in range(5)]
    for n, key in enumerate(keys):
        heads.set_head(key, keccak(key), n + 1)
    root = heads.root
    absent = lot_key("DT-absent")
    heads_module._remembered_folds_to.cache_clear()
    for _ in range(2):
        for n, key in enumerate(keys):
            bitmap, siblings = heads.proof(key)
            assert verify_head(root, key, keccak(key), n + 1, bitmap, siblings) is True
            assert verify_head(root, key, keccak(key), n + 2, bitmap, siblings) is False
            fresh = heads_module._checked_folds_to(
                root, key, head_leaf(key, keccak(key), n + 2), bitmap, siblings
            )
            assert fresh is False
        bitmap, siblings = heads.proof(absent)
        assert verify_no_head(root, absent, bitmap, siblings) is True
        assert verify_no_head(root, keys[0], *heads.proof(keys[0])) is False
    assert heads_module._remembered_folds_to.cache_info().hits >= len(keys)
    bitmap, siblings = heads.proof(keys[0])
    assert verify_head(root, keys[0], keccak(keys[0]), 1, True, siblings) is False  # bool bitmap


def test_remembered_canonical_bytes_are_read_afresh_and_edits_are_refused() -> None:
    raw = canonical_bytes(document())
    shape_v2._accepted.cache_clear()
    first = read_document(raw)
    first["data"] = {"edited": True}  # a reader's own copy
    second = read_document(raw)
    assert shape_v2._accepted.cache_info().hits == 1
    assert second != first and canonical_bytes(second) == raw
    spaced = raw.replace(b'":', b'": ', 1)  # same content, not its canonical form
    for _ in range(2):  # a refusal is never remembered as a pass
        with pytest.raises(NonCanonicalValue):
            read_document(spaced)

"""The committed vectors in tests/vectors/events.json are still what the code computes.

A failure here means an anchored hash would no longer verify: change the code back, or, for a
deliberate new rules version, add new vectors beside these rather than regenerating them.
"""

from __future__ import annotations

import importlib.util
import json
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode as abi_encode

from backend.hashing import (
    MerkleTree,
    canonical_bytes,
    canonical_document,
    event_hash,
    from_hex,
    keccak,
    leaf_hash,
    lot_key,
    reference,
    to_hex,
    verify_proof,
)
from tests.support.components import REPO_ROOT

VECTORS = json.loads((REPO_ROOT / "tests" / "vectors" / "events.json").read_text("utf-8"))
EVENTS: list[dict[str, Any]] = VECTORS["events"]


def _is_nfc(value: Any) -> bool:
    if isinstance(value, str):
        return unicodedata.is_normalized("NFC", value)
    if isinstance(value, dict):
        return all(_is_nfc(k) and _is_nfc(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_nfc(v) for v in value)
    return True


@pytest.mark.parametrize("vector", EVENTS, ids=[e["name"] for e in EVENTS])
def test_each_event_vector_is_reproduced(vector: dict[str, Any]) -> None:
    fields = dict(vector["input"])
    assert _is_nfc(fields) == vector["input_is_nfc"]
    fields["occurred_at"] = datetime.fromisoformat(fields["occurred_at"])
    document = canonical_document(**fields)
    assert document == vector["document"]
    canonical = bytes.fromhex(vector["canonical_hex"][2:])
    assert canonical == vector["canonical_utf8"].encode("utf-8")
    assert canonical_bytes(document) == canonical
    assert reference.canonical_bytes(document) == canonical
    assert to_hex(event_hash(document)) == vector["event_hash"]
    assert to_hex(lot_key(fields["lot_code"])) == vector["lot_key"]
    leaf = leaf_hash(from_hex(vector["lot_key"]), from_hex(vector["event_hash"]))
    assert to_hex(leaf) == vector["leaf"]


def test_the_vectors_cover_nfd_input_and_both_kinds_of_location() -> None:
    assert any(not e["input_is_nfc"] for e in EVENTS)
    assert any(e["input"]["location"] is None for e in EVENTS)
    assert any(e["input"]["location"] is not None for e in EVENTS)
    assert {"harvest", "input_application", "transfer", "split", "recall"} <= {
        e["input"]["event_type"] for e in EVENTS
    }


def test_the_batch_vector_is_reproduced_and_every_proof_verifies() -> None:
    batch = VECTORS["batch"]
    tree = MerkleTree.build([from_hex(e["leaf"]) for e in EVENTS])
    assert to_hex(tree.root) == batch["root"]
    assert [to_hex(n) for n in tree.nodes] == batch["tree"]
    assert [to_hex(leaf) for leaf in tree.leaves] == batch["leaves_sorted"]
    for entry in batch["proofs"]:
        proof = [from_hex(p) for p in entry["proof"]]
        assert tree.proof(from_hex(entry["leaf"])) == proof
        assert verify_proof(proof, from_hex(batch["root"]), from_hex(entry["leaf"]))


def test_the_openzeppelin_string_tree_vector_is_the_golden_root() -> None:
    golden = VECTORS["openzeppelin_string_tree"]
    leaves = [keccak(keccak(abi_encode(["string"], [v]))) for v in golden["values"]]
    assert to_hex(MerkleTree.build(leaves).root) == golden["root"]
    assert golden["root"] == "0x6deb52b5da8fd108f79fab00341f38d2587896634c646ee52e49f845680a70c8"


def test_the_generator_script_would_write_the_committed_file_unchanged() -> None:
    path = Path(REPO_ROOT / "scripts" / "make_vectors.py")
    spec = importlib.util.spec_from_file_location("make_vectors", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (REPO_ROOT / "tests" / "vectors" / "events.json").read_text("utf-8")
    assert module.render(module.build_vectors()) == committed

"""The committed rules v2 vectors in tests/vectors/events_v2.json are still what the code computes.

Each value is also recomputed through the reference spelling (``rfc8785``, ``eth_abi``, the
level-by-level heads map) so that the file and the fast code cannot drift together. A failure
means an anchored v2 record would no longer verify: change the code back.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest

from backend.hashing import (
    HeadsMap,
    canonical_bytes,
    canonical_document_v2,
    check_commitment,
    event_hash,
    from_hex,
    leaf_hash,
    lot_key,
    read_document,
    reference,
    to_hex,
    verify_head,
    verify_no_head,
)
from tests.support.components import REPO_ROOT

VECTORS_FILE = REPO_ROOT / "tests" / "vectors" / "events_v2.json"
VECTORS = json.loads(VECTORS_FILE.read_text("utf-8"))
EVENTS: list[dict[str, Any]] = VECTORS["events"]
HEADS = VECTORS["heads_map"]


@pytest.mark.parametrize("vector", EVENTS, ids=[e["name"] for e in EVENTS])
def test_each_v2_event_vector_is_reproduced(vector: dict[str, Any]) -> None:
    fields = dict(vector["input"])
    fields["occurred_at"] = datetime.fromisoformat(fields["occurred_at"])
    document = canonical_document_v2(**fields)
    assert document == vector["document"]
    raw = from_hex(vector["canonical_hex"], size=None)
    assert raw == vector["canonical_utf8"].encode("utf-8")
    assert canonical_bytes(document) == raw == reference.canonical_bytes(document)
    assert read_document(raw) == document
    assert to_hex(event_hash(document)) == vector["event_hash"]
    key, digest = from_hex(vector["lot_key"]), from_hex(vector["event_hash"])
    assert reference.lot_key(fields["lot_code"]) == lot_key(fields["lot_code"]) == key
    assert reference.leaf_hash(key, digest) == leaf_hash(key, digest) == from_hex(vector["leaf"])


def test_the_parent_lot_s_events_chain_by_prev_and_the_child_names_the_split() -> None:
    chain = [e["document"] for e in EVENTS[:3]]
    assert [d["seq"] for d in chain] == [1, 2, 3]
    assert chain[0]["prev"] is None and "lot_facts" in chain[0]
    for before, after in pairwise(EVENTS[:3]):
        assert after["document"]["prev"] == before["event_hash"]
    child = EVENTS[3]["document"]
    assert (child["seq"], child["prev"]) == (1, None)
    assert child["parents"] == [{"lot": chain[0]["lot"], "event_hash": EVENTS[2]["event_hash"]}]


def test_the_vectors_hold_nfd_input_and_commitments_in_place_of_private_values() -> None:
    first = EVENTS[0]
    assert first["input"]["org_name"] != first["document"]["org_name"]  # NFD in, NFC out
    committed = {c["name"]: {"commitment": c["commitment"]} for c in VECTORS["commitments"]}
    farm = first["document"]["lot_facts"]["farm"]
    assert (farm["name"], farm["point"]) == (committed["farm"], committed["point"])
    assert EVENTS[1]["document"]["data"]["inspector"] == committed["qc"]


@pytest.mark.parametrize("vector", VECTORS["commitments"], ids=lambda c: c["name"])
def test_each_commitment_opens_with_its_disclosed_value_and_salt(vector: dict[str, Any]) -> None:
    salt = from_hex(vector["salt"])
    assert reference.commitment(vector["value"], salt) == vector["commitment"]
    assert check_commitment(vector["value"], salt, vector["commitment"])
    assert reference.canonical_bytes(vector["value"]) == from_hex(
        vector["value_canonical_hex"], size=None
    )


def test_the_heads_map_history_is_reproduced_update_by_update() -> None:
    heads, leaves = HeadsMap(), {}
    assert HEADS["empty_root"] == to_hex(heads.root) == "0x" + "00" * 32
    for update in HEADS["updates"]:
        key, head = from_hex(update["lot_key"]), from_hex(update["head_hash"])
        leaves[key] = reference.head_leaf(key, head, update["seq"])
        assert to_hex(leaves[key]) == update["head_leaf"]
        assert to_hex(heads.set_head(key, head, update["seq"])) == update["root_after"]
        assert to_hex(reference.heads_root(leaves)) == update["root_after"]
    assert to_hex(heads.root) == HEADS["root"]


def _parsed(proof: dict[str, Any]) -> tuple[bytes, bytes, int, list[bytes]]:
    bitmap = int.from_bytes(from_hex(proof["bitmap"]), "big")
    siblings = [from_hex(s) for s in proof["siblings"]]
    return from_hex(proof["lot_key"]), from_hex(proof["leaf"]), bitmap, siblings


def test_every_head_proof_folds_to_the_root_and_absence_proofs_fold_zero() -> None:
    root = from_hex(HEADS["root"])
    leaves = {from_hex(p["lot_key"]): from_hex(p["leaf"]) for p in HEADS["proofs"]}
    heads = HeadsMap()
    for key, leaf in leaves.items():
        heads.set_leaf(key, leaf)
    assert len(HEADS["proofs"]) == 4 and len(HEADS["absent"]) == 2
    for proof in HEADS["proofs"] + HEADS["absent"]:
        key, leaf, bitmap, siblings = _parsed(proof)
        assert reference.fold_head_proof(key, leaf, bitmap, siblings) == root
        assert reference.head_proof(leaves, key) == (bitmap, siblings)
        assert heads.proof(key) == (bitmap, tuple(siblings))
    for proof in HEADS["absent"]:
        key, leaf, bitmap, siblings = _parsed(proof)
        assert leaf == bytes(32) and key not in leaves
        assert verify_no_head(root, key, bitmap, siblings)


def test_the_stale_head_does_not_verify_and_the_current_one_does() -> None:
    root, stale = from_hex(HEADS["root"]), HEADS["stale_head"]
    proof = next(p for p in HEADS["proofs"] if p["lot_key"] == stale["lot_key"])
    key, _, bitmap, siblings = _parsed(proof)
    assert stale["verifies_against_root"] is False
    assert not verify_head(root, key, from_hex(stale["head_hash"]), stale["seq"], bitmap, siblings)
    assert verify_head(root, key, from_hex(EVENTS[2]["event_hash"]), 3, bitmap, siblings)


def test_the_generator_script_would_write_the_committed_v2_file_unchanged() -> None:
    path = REPO_ROOT / "scripts" / "make_vectors.py"
    spec = importlib.util.spec_from_file_location("make_vectors", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render(module.build_vectors_v2()) == VECTORS_FILE.read_text("utf-8")
